"""Go service logs into a dask DataFrame: one reader for a cluster, or for logs far bigger than RAM.

:func:`read_logs` takes what :func:`apiprobe.read_logs` takes (files, folders,
globs; ``.gz`` read transparently; files of other evidence kinds in a folder
skipped with a warning) and also remote paths through fsspec (``s3://…``,
``gs://…``, ``memory://…``: any protocol whose filesystem package is
installed). It returns a lazy ``dask.dataframe.DataFrame`` in the ``events``
schema, parsed by the same code as :func:`apiprobe.read_logs`: each row, its
``line_no`` and ``parse_ok`` are the same.

When to use it
--------------
* A Dask cluster: start a ``distributed.Client`` and the partitions are
  parsed on its workers (the files must be readable there: a shared disk, or
  an object store through fsspec). ``read_logs`` never creates a client; Dask
  uses the client you made active, else its default (threaded) scheduler.
* Logs far bigger than RAM on one machine: with the default scheduler, only
  a few partitions are in memory at a time while a reduction runs.
  (:func:`apiprobe.convert_logs` and its DuckDB store are the other route.)

How partitions are cut
----------------------
A plain file is split into byte ranges of about ``blocksize``; each range
starts right after a line break and ends with one, so no line is split. A
gzip file (magic bytes ``1f 8b``) cannot be split and is one partition, as is
a UTF-16 file, a file no bigger than ``blocksize``, and every file with
``blocksize=None``. A file's dialect is detected once, from its first 64 KiB
(as :func:`apiprobe.read_logs` does), and every block of it is parsed in that
dialect. Exact line numbers come from a small task per block that counts its
line breaks (the block is read twice: once to count, once to parse); each
block adds the counts of the file's earlier blocks to its ``line_no``.

Each partition is in time order (lines without a time last, in line order),
but the partitions are **not** sorted against each other: sort by ``ts``
(``set_index``) or by ``source_file`` and ``line_no`` when the order matters.
The columns are the ``events`` schema's, as :func:`apiprobe.read_logs` gives
them, with the dtypes of :func:`apiprobe.load.event_store.read_events`:
``attrs`` is a ``map<string, string>`` column (values as text, so every
partition has the same type). Like :func:`apiprobe.read_logs`' table it is
not classified: the analyses classify each partition when they need to.

The aggregating analyses take the result in place of a pandas DataFrame and
return the same pandas results: :func:`apiprobe.classify_errors` (per
partition), then :func:`apiprobe.error_counts`, :func:`apiprobe.error_summary`
and :func:`apiprobe.detect_error_faults`.

Dask is an optional dependency: ``pip install 'apiprobe[cluster]'``.

Examples
--------
>>> from distributed import Client                              # doctest: +SKIP
>>> client = Client("tcp://scheduler:8786")                     # doctest: +SKIP
>>> import apiprobe, apiprobe.dask                              # doctest: +SKIP
>>> events = apiprobe.dask.read_logs("s3://bucket/logs/2026-12-04/")  # doctest: +SKIP
>>> apiprobe.error_counts(apiprobe.classify_errors(events), freq="1min")  # doctest: +SKIP
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from apiprobe.errors import DataFormatError, InvalidParameterError
from apiprobe.load._jsonlines import CHUNK_BYTES
from apiprobe.load._paths import refusal, skipped_list
from apiprobe.load._sniff import HEAD_BYTES, judge_bytes
from apiprobe.load._text import GZIP_MAGIC
from apiprobe.load.event_store import STORE_SCHEMA, arrow_events_to_pandas, to_store_table
from apiprobe.load.logs import (
    DIALECTS,
    _compile,
    detect_dialect,
    log_files,
    stream_log_bytes,
    warn_skipped_logs,
)
from apiprobe.schema import columns

if TYPE_CHECKING:
    import dask.dataframe
    import pandas as pd
    from fsspec import AbstractFileSystem

__all__ = ["read_logs"]

_HEAD = 64 << 10  # the head a file's dialect is detected from, as apiprobe.read_logs reads it
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_INSTALL = "pip install 'apiprobe[cluster]'"

#: The columns of every partition: the events schema (no classification yet, as read_logs).
_COLUMNS = columns("events")


# --------------------------------------------------------------------------- files


@dataclass(frozen=True)
class _Source:
    """One file to read: its name in ``source_file``, and how a worker opens it."""

    name: str  # as apiprobe.read_logs names it (local), or the full URL (remote)
    path: str  # absolute local path, or the path within ``fs``
    fs: AbstractFileSystem | None = None  # None: a local file, opened with open()

    def open(self) -> IO[bytes]:
        """The file, opened for reading bytes; :class:`DataFormatError` naming it when that fails."""
        try:
            if self.fs is None:
                return open(self.path, "rb")
            return self.fs.open(self.path, "rb")
        except (OSError, ValueError) as exc:
            raise DataFormatError(f"{self.name}: cannot open: {getattr(exc, 'strerror', None) or exc}") from exc

    def stat(self) -> tuple[int, Any]:
        """The file's size, and what tells its version apart (mtime, or the store's own tag)."""
        try:
            if self.fs is None:
                st = os.stat(self.path)
                return st.st_size, (st.st_size, st.st_mtime_ns)
            info = self.fs.info(self.path)
            return int(info["size"]), sorted((str(k), str(v)) for k, v in info.items())
        except (OSError, ValueError) as exc:
            raise DataFormatError(f"{self.name}: cannot open: {getattr(exc, 'strerror', None) or exc}") from exc

    def read(self, offset: int = 0, length: int | None = None, *, lines: bool = False) -> bytes:
        """Bytes from ``offset`` (``length`` of them, or to the end); with ``lines``, whole lines only.

        With ``lines`` the range is moved to line boundaries as
        :func:`fsspec.utils.read_block` does: it starts after the first line
        break at or past ``offset`` (at 0: the start) and ends after the first
        one at or past ``offset + length``, so consecutive ranges hold every
        line exactly once.
        """
        from fsspec.utils import read_block

        try:
            with self.open() as fh:
                if lines:
                    return bytes(read_block(fh, offset, length, delimiter=b"\n"))
                fh.seek(offset)
                return bytes(fh.read() if length is None else fh.read(length))
        except (OSError, EOFError, ValueError) as exc:
            raise DataFormatError(f"{self.name}: cannot read: {exc}") from exc


def _is_url(item: Any) -> bool:
    return isinstance(item, str) and _URL.match(item) is not None


def _remote_files(
    urls: list[str], *, format: str, storage_options: dict[str, Any]
) -> tuple[list[_Source], list[dict[str, str | None]]]:
    """The files behind remote paths, judged by their heads as :func:`~apiprobe.load.logs.log_files` does."""
    from fsspec.core import url_to_fs

    keep: list[_Source] = []
    skipped: list[dict[str, str | None]] = []
    seen: set[str] = set()
    for url in urls:
        try:
            fs, root = url_to_fs(url, **storage_options)
        except (ImportError, ValueError) as exc:
            raise InvalidParameterError(
                f"paths: cannot open {url!r} through fsspec ({exc}); install the filesystem package for its "
                "protocol (s3fs, gcsfs, adlfs …) and check storage_options"
            ) from exc
        try:
            if any(ch in root for ch in "*?["):
                found = [(p, False) for p in sorted(fs.glob(root)) if fs.isfile(p)]
                if not found:
                    raise DataFormatError(f"{url}: no file matches this pattern")
            elif fs.isdir(root):
                found = [(p, False) for p in sorted(fs.find(root)) if not p.rsplit("/", 1)[-1].startswith(".")]
                if not found:
                    raise DataFormatError(f"{url}: directory holds no log files")
            elif fs.exists(root):
                found = [(root, True)]
            else:
                raise DataFormatError(f"{url}: no such file or directory")
        except OSError as exc:
            raise DataFormatError(f"{url}: cannot list: {exc}") from exc
        for path, explicit in found:
            src = _Source(name=fs.unstrip_protocol(path), path=path, fs=fs)
            if src.name in seen:
                continue
            seen.add(src.name)
            sniffed, shape = judge_bytes(src.read(0, HEAD_BYTES + 1), path.rsplit("/", 1)[-1])
            if explicit:
                message = refusal(src.name, sniffed, shape, "logs", "a log file", unknown=True)
                if message is not None and (format == "auto" or shape == "secret"):
                    raise DataFormatError(message)
                keep.append(src)
            elif sniffed.kind == "logs" or (sniffed.kind is None and shape in ("prose", "empty")):
                keep.append(src)
            else:
                skipped.append(
                    {
                        "file": src.name,
                        "label": src.name,
                        "kind": sniffed.kind,
                        "what": sniffed.what,
                        "reader": sniffed.reader,
                    }
                )
    if urls and not keep:
        where = ", ".join(urls[:3]) + (f" (+{len(urls) - 3} more)" if len(urls) > 3 else "")
        raise DataFormatError(f"{where}: no log file among {len(skipped)}: {skipped_list(skipped)}")
    return keep, skipped


# --------------------------------------------------------------------------- tasks


def _detect(src: _Source) -> str:
    """The file's dialect from its first 64 KiB, exactly as :func:`apiprobe.read_logs` detects it."""
    head = src.read(0, _HEAD)
    lines = head.decode("utf-8", "replace").splitlines()
    if len(head) >= _HEAD and len(lines) > 1:
        lines = lines[:-1]  # the last one may be cut
    return detect_dialect(lines)


def _count_lines(src: _Source, offset: int, length: int) -> int:
    """Line breaks in one block (the cheap task that gives the next blocks their line numbers)."""
    return src.read(offset, length, lines=True).count(b"\n")


def _offsets(*counts: int) -> list[int]:
    """Lines before each block of a file: the running sum of the earlier blocks' counts."""
    out = [0]
    for n in counts:
        out.append(out[-1] + n)
    return out


def _parse(
    src: _Source,
    offset: int,
    length: int | None,
    dialect: str,
    service: str | None,
    regex: re.Pattern[str] | None,
    offsets: list[int] | None,
    index: int,
) -> pd.DataFrame:
    """One partition: a block (``length`` None: the whole file) parsed into store-schema events."""
    data = src.read(offset, length, lines=length is not None)
    first = 0 if offsets is None else offsets[index]
    if offset > 0 and length is not None:
        # A block inside a file starts with a blank line of its own, so that a first line that begins
        # with gzip's magic, a byte-order mark or a UTF-16 one is read as the line it is in the file.
        data, first = b"\n" + data, first - 1
    tables: list[pa.Table] = []
    # A plain block is read in one chunk of its own size (the reader allocates a whole chunk up front).
    chunk = CHUNK_BYTES if data[:2] == GZIP_MAGIC else min(CHUNK_BYTES, max(len(data), _HEAD) + 1)
    stream_log_bytes(
        data, tables.append, source=src.name, format=dialect, service=service, regex=regex, chunk_bytes=chunk
    )
    store = [to_store_table(t) for t in tables if t.num_rows]
    table = pa.concat_tables(store) if store else STORE_SCHEMA.empty_table()
    if first:
        at = table.schema.get_field_index("line_no")
        table = table.set_column(at, "line_no", pc.add(table.column("line_no"), pa.scalar(first, pa.int64())))
    if table.num_rows > 1:  # time order within the partition, as apiprobe.read_logs orders a file
        never = np.iinfo(np.int64).max  # lines without a time last, in line order
        ts = np.asarray(pc.fill_null(pc.cast(table.column("ts"), pa.int64()), never).to_numpy(), dtype=np.int64)
        line_no = np.asarray(table.column("line_no").to_numpy(), dtype=np.int64)
        order = np.lexsort((line_no, ts))
        if np.any(np.diff(order) < 0):
            table = table.take(pa.array(order))
    return arrow_events_to_pandas(table.select(_COLUMNS))


# --------------------------------------------------------------------------- the reader


def _import_dask() -> Any:
    try:
        import dask
        import dask.dataframe
    except ImportError as exc:
        raise InvalidParameterError(f"apiprobe.dask needs dask and distributed: {_INSTALL} ({exc})") from exc
    return dask


def _blocksize(blocksize: int | str | None) -> int | None:
    if blocksize is None:
        return None
    if isinstance(blocksize, str):
        from dask.utils import parse_bytes

        try:
            value = int(parse_bytes(blocksize))
        except (ValueError, TypeError) as exc:
            raise InvalidParameterError(f"blocksize: cannot read {blocksize!r} as a size (e.g. '128MiB')") from exc
    elif isinstance(blocksize, int) and not isinstance(blocksize, bool):
        value = blocksize
    else:
        raise InvalidParameterError(
            f"blocksize: expected bytes (int), a size such as '128MiB' or None, got {blocksize!r}"
        )
    if value < 1:
        raise InvalidParameterError(f"blocksize: must be at least 1 byte, got {blocksize!r}")
    return value


def read_logs(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    blocksize: int | str | None = "128MiB",
    format: str = "auto",
    service: str | None = None,
    regex: str | re.Pattern[str] | None = None,
    storage_options: dict[str, Any] | None = None,
) -> dask.dataframe.DataFrame:
    """Read Go service logs into a lazy dask DataFrame in the ``events`` schema.

    The same rows as :func:`apiprobe.read_logs` (same parser, same
    ``line_no`` and ``parse_ok``), cut into partitions that Dask parses in
    parallel: on the ``distributed.Client`` you made active, else on Dask's
    default scheduler. Nothing is read until the frame is computed, except
    each file's size and head (to judge its kind and whether it is gzip).

    Parameters
    ----------
    paths : str, path-like or iterable of them
        Files, directories (read recursively) and globs, as
        :func:`apiprobe.read_logs` takes them; files of other evidence kinds
        found in a directory or by a glob are skipped with one warning. A
        path with a URL scheme (``s3://bucket/logs/``, ``memory://x.log``)
        is read through fsspec, which needs the filesystem package of its
        protocol (``s3fs``, ``gcsfs`` …) on the client and the workers.
    blocksize : int, str or None, default "128MiB"
        About how many bytes of a plain file go in one partition (an int,
        or a size such as ``"64MiB"``); blocks start and end at line breaks.
        ``None``: one partition per file. Gzip and UTF-16 files are always
        one partition.
    format : str, default "auto"
        ``"auto"`` (detect per file from its first 64 KiB) or one of
        :data:`apiprobe.load.logs.DIALECTS` for every file.
    service : str, optional
        Service name for every line; by default a ``service`` field of the
        line, else the file name without its extensions.
    regex : str or re.Pattern, optional
        For plain-text logs: a pattern with named groups (implies ``format="regex"``).
    storage_options : dict, optional
        Passed to fsspec for remote paths (credentials, endpoint …).

    Returns
    -------
    dask.dataframe.DataFrame
        The ``events`` columns (as :func:`apiprobe.read_logs`) with the
        dtypes of :func:`apiprobe.load.event_store.read_events` (``attrs`` a
        ``map<string, string>``); not classified until
        :func:`apiprobe.classify_errors` or an analysis that needs it. Each
        partition is in time order; the partitions are not sorted against
        each other (sort by ``source_file`` and ``line_no``, or by ``ts``,
        after computing).

    Raises
    ------
    DataFormatError
        A path that does not exist, a glob that matches nothing, a file named
        explicitly that holds another kind of evidence, or files that are all
        of other kinds. When the frame is computed: a file that cannot be
        opened or read, or gzip data cut before its first line (a gzip cut
        later keeps the lines before the cut).
    InvalidParameterError
        An unknown ``format``, a ``regex`` without named groups, a bad
        ``blocksize``, a remote path whose filesystem package is missing, or
        dask itself missing (``pip install 'apiprobe[cluster]'``).

    Examples
    --------
    >>> events = read_logs("logs/", blocksize="64MiB")                 # doctest: +SKIP
    >>> events.groupby("service").size().compute()                      # doctest: +SKIP
    """
    dask = _import_dask()
    block = _blocksize(blocksize)
    pattern = _compile(regex)
    fmt = "regex" if pattern is not None and format == "auto" else format
    if fmt != "auto" and fmt not in DIALECTS:
        raise InvalidParameterError(f"format: unknown log format {fmt!r}; known: auto, {', '.join(DIALECTS)}")
    if fmt == "regex" and pattern is None:
        raise InvalidParameterError("regex: format='regex' needs regex=… with named groups")
    if storage_options is not None and not isinstance(storage_options, dict):
        raise InvalidParameterError(f"storage_options: expected a dict, got {type(storage_options).__name__}")

    items = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    urls = [str(p) for p in items if _is_url(p)]
    local = [p for p in items if not _is_url(p)]
    sources: list[_Source] = []
    skipped: list[dict[str, str | None]] = []
    if local or not urls:  # nothing at all: the error apiprobe.read_logs gives
        files, skipped_local = log_files(local, format=fmt)
        sources += [_Source(name=str(f), path=os.path.abspath(f)) for f in files]
        skipped += skipped_local
    if urls:
        remote, skipped_remote = _remote_files(urls, format=fmt, storage_options=storage_options or {})
        sources += remote
        skipped += skipped_remote
    warn_skipped_logs(paths if isinstance(paths, (str, os.PathLike)) else items, skipped)

    # One low-level graph for every file: building it is linear in the number of blocks (a Delayed
    # per task would re-walk the count tasks for every block). Keys are (layer, file, block).
    from dask.base import tokenize
    from dask.delayed import Delayed
    from dask.highlevelgraph import HighLevelGraph

    stats = [src.stat() for src in sources]
    token = tokenize(
        [(src.name, version) for src, (_, version) in zip(sources, stats, strict=True)],
        block,
        fmt,
        service,
        None if pattern is None else (pattern.pattern, pattern.flags),
    )
    layer = f"apiprobe-read-logs-{token}"
    detect, count, offsets, parse = (f"{step}-{token}" for step in ("detect", "count", "offsets", "parse"))
    dsk: dict[Any, Any] = {}
    keys: list[tuple[str, int, int]] = []
    for f, (src, (size, _)) in enumerate(zip(sources, stats, strict=True)):
        split = False
        if block is not None and size > block:
            magic = src.read(0, 2)
            split = magic != GZIP_MAGIC and magic not in _UTF16_BOMS
        if not split:
            # One partition: stream_log_bytes recognises gzip and UTF-16 and detects the dialect as read_logs does.
            dsk[(parse, f, 0)] = (_parse, src, 0, None, fmt, service, pattern, None, 0)
            keys.append((parse, f, 0))
            continue
        assert block is not None
        starts = range(0, size, block)
        dialect: Any = fmt
        if fmt == "auto":
            dsk[(detect, f, 0)] = (_detect, src)
            dialect = (detect, f, 0)
        for i, begin in enumerate(starts[:-1]):
            dsk[(count, f, i)] = (_count_lines, src, begin, block)
        dsk[(offsets, f, 0)] = (_offsets, *[(count, f, i) for i in range(len(starts) - 1)])
        for i, begin in enumerate(starts):
            dsk[(parse, f, i)] = (_parse, src, begin, block, dialect, service, pattern, (offsets, f, 0), i)
            keys.append((parse, f, i))
    meta = arrow_events_to_pandas(STORE_SCHEMA.empty_table().select(_COLUMNS))
    if not keys:
        return dask.dataframe.from_pandas(meta, npartitions=1)
    graph = HighLevelGraph.from_collections(layer, dsk, dependencies=())
    parts = [Delayed(key, graph, layer=layer) for key in keys]
    return dask.dataframe.from_delayed(parts, meta=meta, verify_meta=False)
