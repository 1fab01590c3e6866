"""Go service logs (zap, zerolog, logrus, slog, go-kit, any JSON, plain text) → ``events``.

One function for whatever a fleet writes: :func:`read_logs` takes files,
globs or directories (``.gz`` read transparently), detects each file's
dialect, maps the keys every logger spells differently onto the ``events``
schema and merges the files in time order (stable).

====================  ==============================================================
dialect               how it is recognised
====================  ==============================================================
``zap``               JSON, numeric ``ts`` (epoch seconds), ``msg``
``zerolog``           JSON, ``message`` (or ``time`` + lower-case ``level``, no ``msg``)
``logrus_json``       JSON, ``time`` + ``msg`` + lower-case level (``warning``)
``slog_json``         JSON, ``time`` + ``msg`` + upper-case ``level`` (``INFO+2``)
``json``              any other JSON object per line
``logrus_text``       logfmt with quoted ``time="…"`` and lower-case levels
``slog_text``         logfmt with upper-case levels
``logfmt``            other logfmt (go-kit: ``ts=… level=… msg=…``)
``zap_console``       zap's console encoder: ``TS<TAB>LEVEL[<TAB>logger][<TAB>caller]<TAB>msg[<TAB>{json}]``
``zerolog_console``   zerolog's ``ConsoleWriter``: ``3:04PM INF [caller >] msg key=value …`` (colours stripped)
``gin``               gin's default logger ``[GIN] date - time | status | latency | ip | METHOD "path"``
                      and its ``[GIN-debug]`` lines
``nginx``             nginx ``combined`` access log (``rt=``/``urt=`` suffixes read as latency)
``envoy``             Envoy's default access-log format
``stdlog``            Go's ``log`` package: ``[prefix]2009/11/10 23:00:00[.µs] [file.go:12: ]msg``
``text``              plain lines: an optional leading timestamp and level, then the message
``regex``             plain lines matched by a user regex with named groups
====================  ==============================================================

The text dialects (``zap_console`` … ``stdlog``, see :mod:`apiprobe.load._log_text_dialects`)
are tried before the generic families, and win when they fit most sample lines
(a third for the strict shapes, which share files with stack traces and panics).

Hostile input stays bounded: a JSON line nested deeper than 512 levels never
reaches pyarrow (it crashes the process) and becomes one unparsed row; a line
longer than ``APIPROBE_MAX_LINE`` (default 8 MiB) is kept cut, as one unparsed
row; a ``.gz`` stops at ``APIPROBE_MAX_INFLATED`` (default 1 GiB) of inflated
data, keeping the lines before it. Each of these is a ``note`` of the file in
:func:`summarize_log_sources` and a warning.

Nothing is lost: a line that does not parse in its file's dialect is tried in
the other family (JSON ↔ logfmt) and otherwise becomes a row with
``parse_ok=False`` and its text in ``raw``. Per-file counts are in
:func:`summarize_log_sources`.

Durations without a unit in the key are read in the unit the logger writes:
zap seconds (its default duration encoder), slog JSON nanoseconds,
zerolog milliseconds (its default ``DurationFieldUnit``); a Go duration
string such as ``"1.5s"`` or ``"350µs"`` is parsed wherever it appears.
"""

from __future__ import annotations

import gzip
import io
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from apiprobe._time import to_utc
from apiprobe.errors import InvalidParameterError
from apiprobe.load._jsonlines import (
    CHUNK_BYTES,
)
from apiprobe.load._log_columns import parse_go_duration, to_string
from apiprobe.load._log_dialects import DIALECTS, detect_dialect
from apiprobe.load._log_file import FileLoad, TolerantStream, load_file, load_stream, service_from_path
from apiprobe.load._paths import evidence_files, warn_skipped
from apiprobe.load._text import GZIP_MAGIC
from apiprobe.schema import conform

__all__ = [
    "DIALECTS",
    "detect_dialect",
    "log_files",
    "parse_go_duration",
    "parse_logs",
    "read_logs",
    "stream_log_bytes",
    "stream_log_file",
    "summarize_log_sources",
    "warn_skipped_logs",
]

_STATS_KEY = "apiprobe.load_stats"


def stream_log_file(
    path: str | os.PathLike[str],
    sink: Callable[[pa.Table], None],
    *,
    format: str = "auto",
    service: str | None = None,
    regex: str | re.Pattern[str] | None = None,
    chunk_bytes: int = CHUNK_BYTES,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Parse one log file chunk by chunk, handing each Arrow table of events to ``sink``.

    The streaming form of :func:`read_logs` for one file: the same dialect
    detection, parsing and limits, but nothing is kept, so memory is bounded
    by ``chunk_bytes`` whatever the file's size. Tables come in file order;
    unlike :func:`read_logs` they are not sorted by time, and ``attrs`` is a
    struct whose fields may differ from one table to the next.

    Parameters
    ----------
    path : str or path-like
        One file (gzip recognised by its magic bytes).
    sink : callable
        Called with each ``pyarrow.Table`` (the ``events`` columns).
    format, service, regex
        As for :func:`read_logs`.
    chunk_bytes : int, default 32 MiB
        Bytes read (and parsed) at a time.
    progress : callable, optional
        Called with the number of bytes of each chunk read.

    Returns
    -------
    dict
        The file's counts, as a row of :func:`summarize_log_sources`.

    Raises
    ------
    DataFormatError
        The file cannot be opened or read, or is gzip data cut before its first line.
    InvalidParameterError
        An unknown ``format``, or a ``regex`` without named groups.
    """
    pattern = _compile(regex)
    fmt = "regex" if pattern is not None and format == "auto" else format
    load = load_file(
        Path(path), format=fmt, service=service, regex=pattern, progress=progress, sink=sink, chunk_bytes=chunk_bytes
    )
    return load.stats()


def stream_log_bytes(
    data: bytes,
    sink: Callable[[pa.Table], None],
    *,
    source: str,
    format: str = "auto",
    service: str | None = None,
    regex: str | re.Pattern[str] | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> dict[str, Any]:
    """Parse log lines held as bytes (a block of a file, gzip recognised), handing each table to ``sink``.

    As :func:`stream_log_file`, for a piece of a file read elsewhere (a Dask
    block, a remote object). ``source`` names the file in ``source_file``,
    errors and the default service; line numbers count from 1 within ``data``.

    Returns
    -------
    dict
        The counts of the block, as a row of :func:`summarize_log_sources`.
    """
    pattern = _compile(regex)
    fmt = "regex" if pattern is not None and format == "auto" else format
    stream: Any = io.BytesIO(data)
    if data[:2] == GZIP_MAGIC:
        stream = TolerantStream(gzip.GzipFile(fileobj=stream, mode="rb"))  # type: ignore[arg-type]
    load = load_stream(
        stream,
        source=source,
        format=fmt,
        service=service,
        default_service=service_from_path(Path(source)),
        regex=pattern,
        sink=sink,
        chunk_bytes=chunk_bytes,
    )
    return load.stats()


# --------------------------------------------------------------------------- assembling


def _unify(tables: list[pa.Table]) -> pa.Table:
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        pass
    # Attribute keys whose type differs between files: keep them as strings.
    types: dict[str, set[pa.DataType]] = {}
    for t in tables:
        for f in t.schema.field("attrs").type:
            types.setdefault(f.name, set()).add(f.type)
    clash = {k for k, ts in types.items() if len({x for x in ts if not pa.types.is_null(x)}) > 1}
    fixed = []
    for t in tables:
        attrs = t.column("attrs")
        fields = list(attrs.type)
        arrays = [
            to_string(pc.struct_field(attrs, f.name)) if f.name in clash else pc.struct_field(attrs, f.name)
            for f in fields
        ]
        if fields:
            struct = pa.chunked_array(
                [
                    pa.StructArray.from_arrays(
                        [a.combine_chunks() for a in arrays],
                        [f.name for f in fields],
                        mask=pc.is_null(attrs).combine_chunks(),
                    )
                ]
            )
        else:
            struct = attrs
        fixed.append(t.set_column(t.schema.get_field_index("attrs"), "attrs", struct))
    return pa.concat_tables(fixed, promote_options="permissive")


def _types_mapper(t: pa.DataType) -> Any:
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return pd.StringDtype("pyarrow")
    if pa.types.is_int64(t):
        return pd.Int64Dtype()
    if pa.types.is_boolean(t):
        return pd.BooleanDtype()
    if pa.types.is_struct(t):
        return pd.ArrowDtype(t)
    return None


def _finish(loads: list[FileLoad], since: Any, until: Any) -> pd.DataFrame:
    # Parsed rows first, then the kept unparsed lines: for a file in time order
    # that is already the final order, and nothing has to be moved.
    nonempty = [t for load in loads for t in load.tables if t.num_rows]
    tables = [t for t in nonempty if t.column("parse_ok")[0].as_py()] + [
        t for t in nonempty if not t.column("parse_ok")[0].as_py()
    ]
    if not tables:
        df = conform(None, "events")
    else:
        table = tables[0] if len(tables) == 1 else _unify(tables)
        if since is not None or until is not None:
            ts = table.column("ts")
            keep = pc.is_valid(ts)
            if since is not None:
                keep = pc.and_(keep, pc.greater_equal(ts, pa.scalar(to_utc(since), ts.type)))
            if until is not None:
                keep = pc.and_(keep, pc.less(ts, pa.scalar(to_utc(until), ts.type)))
            table = table.filter(keep)
        order = _time_order(table)
        if order is not None:
            table = _take(table, order)
        df = table.to_pandas(types_mapper=_types_mapper, split_blocks=True, self_destruct=True)
    df.attrs[_STATS_KEY] = [load.stats() for load in loads]
    return df


def _take(table: pa.Table, order: pa.Array) -> pa.Table:
    """``table.take(order)``, rebuilding columns that hold one value instead of moving their rows."""
    constant: dict[str, Any] = {}
    for name in ("source_file", "service"):
        col = table.column(name)
        if col.null_count == 0 and pc.count_distinct(col).as_py() == 1:
            constant[name] = col[0].as_py()
    moved = table.drop_columns(list(constant)).take(order)
    for name, value in constant.items():
        moved = moved.add_column(
            table.schema.get_field_index(name),
            table.schema.field(name),
            pa.chunked_array([pa.repeat(value, len(order))]),
        )
    return moved


def _time_order(table: pa.Table) -> pa.Array | None:
    """Row order by time, then file and line, or None when the rows already are in it.

    Lines without a time (a panic, a stack frame, a clock-only time) go last,
    in file and line order; ``sort_values(["source_file", "line_no"])`` puts
    them back among their neighbours.
    """
    never = np.iinfo(np.int64).max
    key = np.asarray(pc.fill_null(pc.cast(table.column("ts"), pa.int64()), never).to_numpy(), dtype=np.int64)
    files = np.asarray(
        pc.dictionary_encode(table.column("source_file")).combine_chunks().indices.to_numpy(), dtype=np.int64
    )
    line_no = np.asarray(table.column("line_no").to_numpy(), dtype=np.int64)
    # Equal times keep file order, then line order (recovered lines of a chunk are parsed after
    # its fast-path rows, so table order is not line order).
    dk, df, dl = np.diff(key), np.diff(files), np.diff(line_no)
    if bool(np.all((dk > 0) | ((dk == 0) & ((df > 0) | ((df == 0) & (dl >= 0)))))):
        return None
    return pa.array(np.lexsort((line_no, files, key)))


def _compile(regex: str | re.Pattern[str] | None) -> re.Pattern[str] | None:
    if regex is None:
        return None
    try:
        pattern = re.compile(regex) if isinstance(regex, str) else regex
    except re.error as exc:
        raise InvalidParameterError(f"regex: {regex!r} is not a valid regular expression: {exc}") from exc
    if not pattern.groupindex:
        raise InvalidParameterError(f"regex: log regex {pattern.pattern!r} has no named groups (e.g. (?P<msg>.*))")
    return pattern


def read_logs(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    format: str = "auto",
    service: str | None = None,
    since: Any = None,
    until: Any = None,
    regex: str | re.Pattern[str] | None = None,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Read Go service logs into an ``events`` table.

    Each row is one log line. Columns (schema ``events``): ``ts`` (UTC; NaT
    when the line had no readable time), ``service``, ``level`` (trace,
    debug, info, warn, error, fatal), ``msg``, ``logger``, ``trace_id`` and
    ``span_id`` (lower-case hex), ``error``, ``error_kind`` (NA until
    :func:`apiprobe.analyze.classify_errors`), ``status`` (HTTP code),
    ``latency_ms`` (float ms; seconds, nanoseconds and Go duration strings
    converted), ``route``, ``attempt``, ``caller``, ``attrs`` (every other
    field, by key), ``raw`` (the line, for lines that did not parse),
    ``line_no`` (from 1), ``source_file`` and ``parse_ok`` (bool).

    Parameters
    ----------
    paths : str, path-like or iterable of them
        A file, a directory (read recursively), a glob, or a list of them.
        Gzip files are recognised by their magic bytes. Files in a directory
        or matched by a glob that hold another kind of evidence (a pprof
        profile, a goroutine dump, a trace export, a certificate, a key, an
        image …) are skipped with one warning naming each and the function
        that reads it; ``df.attrs["skipped"]`` lists them (``file``, ``kind``,
        ``what``, ``reader``).
    format : str, default "auto"
        ``"auto"`` (detect per file from its first lines) or one of
        :data:`DIALECTS` for every file.
    service : str, optional
        Service name for every line. By default a ``service`` field of the
        line, else the file name without its extensions.
    since, until : timestamp-like, optional
        Keep lines with ``since <= ts < until`` (anything ``pd.Timestamp``
        takes; naive times are UTC). Lines without a time are dropped then.
    regex : str or re.Pattern, optional
        For plain-text logs: a pattern with named groups (``ts``, ``level``,
        ``msg``, ``trace_id`` … any name; unknown names go to ``attrs``).
        Implies ``format="regex"``.
    progress : bool, optional
        Show a progress bar; by default only when there is more than 64 MB.

    Returns
    -------
    pandas.DataFrame
        Schema ``events``, sorted by ``ts`` (stable); lines without a time
        (unparsed lines among them) last, in file and line order.
        :func:`summarize_log_sources` on it gives the counts per file.

    Raises
    ------
    DataFormatError
        A path that does not exist or cannot be opened, a gzip file cut
        short before its first line, a file named explicitly that holds
        another kind of evidence (with ``format="auto"``; the message names
        the function to use), or a directory whose files are all of other kinds.
    InvalidParameterError
        An unknown ``format``, or a ``regex`` without named groups.
    """
    pattern = _compile(regex)
    fmt = "regex" if pattern is not None and format == "auto" else format
    files, skipped = log_files(paths, format=fmt)
    total = sum(f.stat().st_size for f in files)
    show = progress if progress is not None else total > (64 << 20)
    bar = None
    if show:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, unit="B", unit_scale=True, desc="reading logs", leave=False)
    loads: list[FileLoad] = []
    try:
        for f in files:
            size = f.stat().st_size
            counted = [0]

            def tick(n: int, size: int = size, counted: list[int] = counted) -> None:
                if bar is not None:
                    step = min(n, max(size - counted[0], 0))
                    counted[0] += step
                    bar.update(step)

            loads.append(load_file(f, format=fmt, service=service, regex=pattern, progress=tick))
            if bar is not None:
                bar.update(max(size - counted[0], 0))
    finally:
        if bar is not None:
            bar.close()
    df = _finish(loads, since, until)
    df.attrs["skipped"] = warn_skipped(paths, skipped, "log")
    return df


def log_files(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], *, format: str = "auto"
) -> tuple[list[Path], list[dict[str, str | None]]]:
    """The files :func:`read_logs` reads for ``paths``, and the files of other kinds it skips.

    The skipped records (``file``, ``kind``, ``what``, ``reader``) are what
    ``df.attrs["skipped"]`` holds; :func:`warn_skipped_logs` warns about them.

    Raises
    ------
    DataFormatError
        As :func:`read_logs` for its ``paths``.
    """
    return evidence_files(
        paths, kind="logs", what="log", try_shapes=frozenset({"prose", "empty"}), refuse_explicit=format == "auto"
    )


def warn_skipped_logs(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], skipped: list[dict[str, str | None]]
) -> list[dict[str, str | None]]:
    """Warn once about the files of other kinds :func:`log_files` skipped; returns the records."""
    return warn_skipped(paths, skipped, "log", stacklevel=4)


def parse_logs(
    lines_or_file: str | bytes | Iterable[str] | IO[str] | IO[bytes],
    *,
    format: str = "auto",
    service: str | None = None,
    since: Any = None,
    until: Any = None,
    regex: str | re.Pattern[str] | None = None,
    source: str = "<lines>",
) -> pd.DataFrame:
    """Parse log lines already in memory (text, bytes, a list of lines or an open file).

    Each row is one log line, with the ``events`` columns of :func:`read_logs`.

    Parameters
    ----------
    lines_or_file : str, bytes, iterable of str or file object
        The log: its text (a ``str`` is text, never a path), bytes (gzip
        recognised), lines, or an open file.
    format, service, since, until, regex
        As for :func:`read_logs`.
    source : str, default "<lines>"
        Names the input in ``source_file`` and in errors, and is the default
        service when neither ``service`` nor a service field is given.

    Returns
    -------
    pandas.DataFrame
        Schema ``events``, sorted by ``ts`` (stable), lines without a time last.

    Raises
    ------
    DataFormatError
        Gzip data cut short before its first line.
    InvalidParameterError
        An unknown ``format``, or a ``regex`` without named groups.
    """
    if isinstance(lines_or_file, bytes):
        data = lines_or_file
    elif isinstance(lines_or_file, str):
        data = lines_or_file.encode("utf-8")
    elif hasattr(lines_or_file, "read"):
        content = lines_or_file.read()
        data = content.encode("utf-8") if isinstance(content, str) else content
    else:
        lines = list(lines_or_file)
        wrong = next((ln for ln in lines if not isinstance(ln, str | bytes)), None)
        if wrong is not None:
            raise InvalidParameterError(
                f"lines_or_file: expected text, bytes, an open file or lines of text; "
                f"a line is {type(wrong).__name__} ({wrong!r:.40})"
            )
        data = b"\n".join((ln if isinstance(ln, bytes) else ln.encode("utf-8")).rstrip(b"\r\n") for ln in lines)
    stream: Any = io.BytesIO(data)
    if data[:2] == GZIP_MAGIC:
        stream = TolerantStream(gzip.GzipFile(fileobj=stream, mode="rb"))  # type: ignore[arg-type]
    pattern = _compile(regex)
    fmt = "regex" if pattern is not None and format == "auto" else format
    load = load_stream(
        stream,
        source=source,
        format=fmt,
        service=service,
        default_service=service_from_path(Path(source)) if source != "<lines>" else "unknown",
        regex=pattern,
    )
    return _finish([load], since, until)


def summarize_log_sources(events: pd.DataFrame) -> pd.DataFrame:
    """Counts per file of the :func:`read_logs`/:func:`parse_logs` call that built ``events``.

    Each row is one source file. Columns: ``source_file``, ``dialect`` (one
    of :data:`DIALECTS`), ``lines``, ``blank``, ``parsed`` and ``unparsed``
    (line counts), ``note`` (says when a compressed file was cut short and
    only its first lines could be read). Computed from the table itself when
    the load record is gone (e.g. after a filter that dropped
    ``DataFrame.attrs``); ``dialect`` and ``blank`` are then NA.

    Parameters
    ----------
    events : pandas.DataFrame
        An ``events`` table from :func:`read_logs` or :func:`parse_logs`.

    Returns
    -------
    pandas.DataFrame
        One row per source file.
    """
    stats = events.attrs.get(_STATS_KEY)
    if stats:
        return pd.DataFrame(stats)
    if events.empty:
        return pd.DataFrame(columns=["source_file", "dialect", "lines", "blank", "parsed", "unparsed", "note"])
    ok = events["parse_ok"].fillna(False).astype(bool)
    g = ok.groupby(events["source_file"], sort=True)
    out = pd.DataFrame({"lines": g.size(), "parsed": g.sum()}).astype("int64").reset_index()
    out.insert(1, "dialect", None)
    out.insert(3, "blank", None)
    out["unparsed"] = out["lines"] - out["parsed"]
    out["note"] = None
    return out
