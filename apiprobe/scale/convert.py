"""``convert_logs``: stream log files into a Parquet evidence store, in bounded memory.

Each file goes through the same dialect detection and parsing as
:func:`~apiprobe.read_logs` (:func:`~apiprobe.load.logs.stream_log_file`),
chunk by chunk; each chunk is classified (:func:`~apiprobe.classify_errors`),
brought to the store's fixed schema and buffered per partition, and parts
are written as the buffer fills. Memory is bounded by the chunk size and the
writer's buffer (:data:`~apiprobe.load.event_store.BUFFER_BYTES`), not by
the input.

What a failure leaves behind:

* a file that cannot be read when its turn comes (gone since the folder was
  listed; named explicitly, a gzip without a readable line) is skipped and
  counted: its row in the result and in the manifest has
  ``status="skipped"`` and the reason. In a folder, a file already found
  unreadable when it is listed (a gzip that does not inflate or is cut
  before any data, no permission) is counted with the files of other kinds,
  in ``attrs["skipped"]`` and the manifest's ``skipped_other_kinds``;
* a gzip cut in the middle keeps the lines before the cut (``note``), as
  :func:`~apiprobe.read_logs` does; so does an over-long line (kept cut);
* a write that fails (a full disk) raises
  :class:`~apiprobe.EventStoreError`: the parts of the file being written are
  deleted, and the manifest still lists every file converted before it, so
  the store stays readable.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from apiprobe.analyze import classify_errors
from apiprobe.errors import DataFormatError, EventStoreError, InvalidParameterError
from apiprobe.load._jsonlines import CHUNK_BYTES
from apiprobe.load.event_store import (
    MANIFEST,
    EventStoreWriter,
    arrow_events_to_pandas,
    new_manifest,
    read_manifest,
    to_store_table,
    write_manifest,
)
from apiprobe.load.logs import DIALECTS, log_files, stream_log_file, warn_skipped_logs

__all__ = ["convert_logs"]

_CLASSIFY_INPUTS = ("level", "msg", "error", "error_kind", "status", "attrs")
_CLASSIFIED = ("error_kind", "error_layer", "retryable", "error_rule")


def _classify_table(table: pa.Table) -> pa.Table:
    """``table`` with the four classification columns :func:`classify_errors` gives."""
    present = [c for c in _CLASSIFY_INPUTS if c in table.column_names]
    frame = arrow_events_to_pandas(table.select(present))
    out = classify_errors(frame)
    for col in _CLASSIFIED:
        arr = pa.array(out[col], type=pa.bool_() if col == "retryable" else pa.string(), from_pandas=True)
        if col in table.column_names:
            table = table.set_column(table.schema.get_field_index(col), col, arr)
        else:
            table = table.append_column(col, arr)
    return table


def _check_format(format: str, regex: str | None) -> None:
    """The checks :func:`~apiprobe.load.logs.stream_log_file` makes of ``format`` and ``regex``, made up front."""
    if format != "auto" and format not in DIALECTS:
        raise InvalidParameterError(f"format: unknown log format {format!r}; known: auto, {', '.join(DIALECTS)}")
    if regex is not None:
        try:
            pattern = re.compile(regex)
        except re.error as exc:
            raise InvalidParameterError(f"regex: {regex!r} is not a valid regular expression: {exc}") from exc
        if not pattern.groupindex:
            raise InvalidParameterError(f"regex: log regex {pattern.pattern!r} has no named groups (e.g. (?P<msg>.*))")
    elif format == "regex":
        raise InvalidParameterError("regex: format='regex' needs regex=… with named groups")


def _prepare(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise InvalidParameterError(f"out: {out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()):
        if not (out / MANIFEST).is_file():
            raise InvalidParameterError(
                f"out: {out} is a directory that holds other files; give an empty or new directory"
            )
        if not overwrite:
            raise InvalidParameterError(
                f"out: {out} already holds an evidence store; pass overwrite=True to replace it"
            )
        read_manifest(out)  # only a store of ours is ever deleted
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


def convert_logs(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    partition_by: Sequence[str] = ("service", "date"),
    classify: bool = True,
    format: str = "auto",
    service: str | None = None,
    regex: str | None = None,
    chunk_bytes: int = CHUNK_BYTES,
    overwrite: bool = False,
    progress: bool | None = None,
    on_file: Callable[[dict[str, Any]], None] | None = None,
) -> pd.DataFrame:
    """Stream log files into a Parquet evidence store, in memory bounded by the chunk size.

    The store (see :mod:`apiprobe.load.event_store`) holds the ``events``
    columns plus ``error_layer``, ``retryable`` and ``error_rule``, in the
    same types for every file. Pass its directory to ``error_counts``,
    ``error_summary``, ``detect_error_faults``, ``compare_templates``, ``status_table``,
    ``classify_status_misuse`` or ``detect_status_misuse`` in place of a DataFrame
    (DuckDB does the work out of core), query it with
    :func:`~apiprobe.open_events`, or read it back with :func:`~apiprobe.read_events`.

    Parameters
    ----------
    paths : str, path-like or iterable of them
        Files, directories (recursive) or globs, as :func:`~apiprobe.read_logs`
        takes them; ``.gz`` read transparently; files of other kinds skipped.
    out : path
        The store's directory: new, empty, or a store to replace with ``overwrite``.
    partition_by : sequence of str, default ("service", "date")
        A directory level per column (``date`` is the UTC day of ``ts``);
        among ``service``, ``date``, ``level``, ``source_file``. ``()`` for none.
    classify : bool, default True
        Classify errors chunk by chunk (as :func:`~apiprobe.classify_errors`),
        so queries need not; without it the four columns are NA.
    format, service, regex
        As for :func:`~apiprobe.read_logs`.
    chunk_bytes : int, default 32 MiB
        Bytes parsed at a time (memory grows with it, never with the input).
    overwrite : bool, default False
        Replace a store already at ``out``.
    progress : bool, optional
        A progress bar over the input bytes; by default when there is more than 64 MB.
    on_file : callable, optional
        Called with each file's record (the rows of the result) when the file is done.

    Returns
    -------
    pandas.DataFrame
        One row per file: ``source_file``, ``dialect``, ``lines``, ``blank``,
        ``parsed``, ``unparsed``, ``note`` (as :func:`~apiprobe.summarize_log_sources`),
        ``status`` (``converted`` or ``skipped``), ``error`` (why a file was
        skipped), ``bytes`` (file size), ``rows`` (rows stored) and ``parts``
        (Parquet files written). ``attrs["store"]`` is the store's path,
        ``attrs["manifest"]`` its manifest, ``attrs["skipped"]`` the files of
        other kinds left out.

    Raises
    ------
    EventStoreError
        A part or the manifest could not be written (e.g. the disk is full);
        the store keeps the files converted before.
    DataFormatError
        No log file among ``paths`` (as :func:`~apiprobe.read_logs`).
    InvalidParameterError
        ``out`` holds other files or a store (without ``overwrite``), an
        unknown ``partition_by`` column or ``format``, a bad ``chunk_bytes``.
    """
    if chunk_bytes < 1 << 16:
        raise InvalidParameterError(f"chunk_bytes must be at least 65536, got {chunk_bytes!r}")
    files, skipped = log_files(paths, format=format)
    root = Path(out)
    writer = EventStoreWriter(root, partition_by)  # checks partition_by before anything is deleted
    _check_format(format, regex)  # … and format and regex: a typo must not cost the store it would replace
    _prepare(root, overwrite)
    manifest = new_manifest(partition_by, classify)
    manifest["skipped_other_kinds"] = skipped
    _commit(root, manifest, [])  # a store from the start: a run killed in its first file reads as empty
    sizes = {f: _size(f) for f in files}
    total = sum(s for s in sizes.values() if s is not None)
    show = progress if progress is not None else total > (64 << 20)
    bar = None
    if show:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, unit="B", unit_scale=True, desc="converting logs", leave=False)

    def sink(table: pa.Table) -> None:
        writer.add(to_store_table(_classify_table(table) if classify else table))

    records: list[dict[str, Any]] = []
    try:
        for f in files:
            size = sizes[f]
            record: dict[str, Any] = {"source_file": str(f), "bytes": size}
            try:
                stats = stream_log_file(
                    f,
                    sink,
                    format=format,
                    service=service,
                    regex=regex,
                    chunk_bytes=chunk_bytes,
                    progress=None if bar is None else functools.partial(_advance, bar),
                )
                parts = writer.finish_file()
            except DataFormatError as exc:
                writer.discard_pending()
                record.update(status="skipped", error=str(exc))
                warnings.warn(f"convert_logs: skipped {f}: {exc}", stacklevel=2)
            except BaseException as exc:
                writer.discard_pending()
                record.update(status="failed", error=str(exc) or type(exc).__name__)
                _commit(root, manifest, [*records, record], quiet=True)  # the original error matters more
                raise
            else:
                record.update(stats, status="converted", error=None, parts=parts)
            records.append(record)
            _commit(root, manifest, records)
            if on_file is not None:
                on_file(_row(record))
    finally:
        writer.close()
        if bar is not None:
            bar.close()
    warn_skipped_logs(paths, skipped)
    result = pd.DataFrame([_row(r) for r in records], columns=_RESULT_COLUMNS)
    result.attrs["store"] = str(root)
    result.attrs["manifest"] = manifest
    result.attrs["skipped"] = skipped
    return result


_RESULT_COLUMNS = [
    "source_file",
    "dialect",
    "lines",
    "blank",
    "parsed",
    "unparsed",
    "note",
    "status",
    "error",
    "bytes",
    "rows",
    "parts",
]


def _advance(bar: Any, n: int) -> None:
    bar.update(n)


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None  # gone already: the read will say so, and the file is skipped


def _row(record: dict[str, Any]) -> dict[str, Any]:
    parts = record.get("parts") or []
    row = {c: record.get(c) for c in _RESULT_COLUMNS}
    row["rows"] = sum(p["rows"] for p in parts)
    row["parts"] = len(parts)
    return row


def _commit(root: Path, manifest: dict[str, Any], records: list[dict[str, Any]], *, quiet: bool = False) -> None:
    """Write the manifest for the files done so far (a failing write raises, unless ``quiet``)."""
    manifest["files"] = records
    parts = [p for r in records for p in r.get("parts") or []]
    manifest["rows"] = sum(p["rows"] for p in parts)
    mins = [p["ts_min"] for p in parts if p["ts_min"]]
    maxs = [p["ts_max"] for p in parts if p["ts_max"]]
    manifest["ts_min"] = min(mins) if mins else None
    manifest["ts_max"] = max(maxs) if maxs else None
    dialects: dict[str, int] = {}
    for r in records:
        if r.get("dialect"):
            dialects[r["dialect"]] = dialects.get(r["dialect"], 0) + 1
    manifest["dialects"] = dialects
    try:
        write_manifest(root, manifest)
    except EventStoreError:
        if not quiet:
            raise
