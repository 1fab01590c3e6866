"""The evidence store: log events as a Parquet dataset, for logs that do not fit in memory.

:func:`apiprobe.convert_logs` writes it; :func:`open_events` queries it with
DuckDB (out of core); :func:`read_events` reads it back into an ``events``
table; the aggregating analyses (``error_counts``, ``error_summary``,
``detect_error_faults``, ``status_table`` …) take its directory in place of a
DataFrame and push their work down to DuckDB.

Layout::

    DIR/_manifest.json                          what was read, and the committed parts
    DIR/service=checkout/date=2026-12-04/part-000001.parquet
    DIR/service=(none)/date=(none)/part-000002.parquet     rows without a service or a time

Every part has the same columns and types (:data:`STORE_SCHEMA`): the
``events`` columns, then ``error_layer``, ``retryable`` and ``error_rule``
(NA when the dataset was written without classification). ``attrs`` is a
``map<string, string>`` (values as text, nested values as JSON, which the
analyses read into: ``http.status_code`` finds ``{"status_code": 503}`` under
``http``) so its type never changes between files; the partition columns are also kept inside
each part, so a part is self-contained. Parts are zstd-compressed, in row
groups of :data:`ROW_GROUP_ROWS` rows.

A part is written to a temporary name and renamed when complete, and the
manifest lists a source file's parts only once the whole file has been
written: a run that fails (a full disk, a kill) leaves a store that reads
as the files finished before it. Readers use the manifest's list, never
stray files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from apiprobe.errors import DataFormatError, EventStoreError, InvalidParameterError
from apiprobe.load._log_columns import EVENT_TYPES, to_string
from apiprobe.schema import columns

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "MANIFEST",
    "PARTITION_COLUMNS",
    "ROW_GROUP_ROWS",
    "STORE_SCHEMA",
    "EventStoreWriter",
    "is_event_store",
    "open_events",
    "read_events",
    "read_manifest",
    "store_parts",
    "to_store_table",
]

#: File name of the manifest in a store's directory.
MANIFEST = "_manifest.json"
#: Format name and version written in the manifest.
STORE_FORMAT = "apiprobe-events"
STORE_VERSION = 1
#: Columns a store may be partitioned by (``date`` is the UTC day of ``ts``).
PARTITION_COLUMNS = ("service", "date", "level", "source_file")
#: Rows per Parquet row group (DuckDB reads row groups in parallel).
ROW_GROUP_ROWS = 128 * 1024
#: Buffered Arrow bytes above which the writer flushes its largest partition.
BUFFER_BYTES = 96 << 20
#: Columns with few distinct values, dictionary-encoded; ids, times and free text are not (a dictionary
#: attempt on them costs a quarter of the write and saves nothing).
_DICTIONARY_COLUMNS = [
    "service",
    "level",
    "logger",
    "route",
    "caller",
    "msg",
    "error",
    "error_kind",
    "error_layer",
    "error_rule",
    "source_file",
]
#: Parts being compressed and written while the next rows are parsed (each up to BUFFER_BYTES).
_IN_FLIGHT = 1
#: Partition value for rows without one (no service, no time).
NONE_VALUE = "(none)"

_STRING_COLUMNS = (
    "service",
    "level",
    "msg",
    "logger",
    "trace_id",
    "span_id",
    "error",
    "error_kind",
    "route",
    "caller",
    "raw",
    "source_file",
    "error_layer",
    "error_rule",
)
_TYPES: dict[str, pa.DataType] = {
    **EVENT_TYPES,
    "retryable": pa.bool_(),
    "attrs": pa.map_(pa.string(), pa.string()),
    **dict.fromkeys(_STRING_COLUMNS, pa.string()),
}
#: Columns of every part, in order: the ``events`` schema plus the classification.
STORE_COLUMNS = [*columns("events"), "error_layer", "retryable", "error_rule"]
STORE_SCHEMA = pa.schema([pa.field(c, _TYPES[c]) for c in STORE_COLUMNS])


# --------------------------------------------------------------------------- conversion


def _attrs_map(attrs: pa.ChunkedArray | pa.Array) -> pa.Array:
    """A struct column of attributes as ``map<string, string>``: the set fields of each row, values as text."""
    arr = attrs.combine_chunks() if isinstance(attrs, pa.ChunkedArray) else attrs
    n = len(arr)
    map_type = _TYPES["attrs"]
    if pa.types.is_map(arr.type):
        return arr.cast(map_type)
    if not pa.types.is_struct(arr.type) or arr.type.num_fields == 0:
        return pa.nulls(n, map_type) if pa.types.is_null(arr.type) or arr.null_count == n else _empty_maps(arr)
    names = [arr.type.field(i).name for i in range(arr.type.num_fields)]
    values = [to_string(pa.chunked_array([pc.struct_field(arr, [i])])).combine_chunks() for i in range(len(names))]
    row_valid = np.asarray(pc.is_valid(arr).to_numpy(zero_copy_only=False), dtype=bool)
    # valid[i, k]: row i carries field k
    valid = np.stack([np.asarray(pc.is_valid(v).to_numpy(zero_copy_only=False), dtype=bool) for v in values], axis=1)
    valid &= row_valid[:, None]
    rows, fields = np.nonzero(valid)  # row-major: each row's fields in field order
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(valid.sum(axis=1), out=offsets[1:])
    flat = pa.concat_arrays(values)  # field k's value of row i sits at k * n + i
    items = flat.take(pa.array(fields.astype(np.int64) * n + rows))
    keys = pa.array(np.asarray(names, dtype=object)[fields], pa.string()) if len(fields) else pa.array([], pa.string())
    mask = pa.array(~row_valid) if not row_valid.all() else None
    return pa.MapArray.from_arrays(pa.array(offsets), keys, items, type=map_type, mask=mask)


def _empty_maps(arr: pa.Array) -> pa.Array:
    n = len(arr)
    valid = np.asarray(pc.is_valid(arr).to_numpy(zero_copy_only=False), dtype=bool)
    return pa.MapArray.from_arrays(
        pa.array(np.zeros(n + 1, dtype=np.int32)),
        pa.array([], pa.string()),
        pa.array([], pa.string()),
        type=_TYPES["attrs"],
        mask=pa.array(~valid),
    )


def to_store_table(table: pa.Table) -> pa.Table:
    """An Arrow ``events`` table (as the log readers make it) in the store's fixed schema.

    Missing columns are added as nulls, every column is cast to its type in
    :data:`STORE_SCHEMA` (text stays text: a column that a file spells with
    numbers becomes its text), and ``attrs`` becomes ``map<string, string>``.
    """
    n = table.num_rows
    out: list[pa.Array] = []
    for name in STORE_COLUMNS:
        want = _TYPES[name]
        if name not in table.column_names:
            out.append(pa.nulls(n, want))
            continue
        col = table.column(name)
        if name == "attrs":
            out.append(_attrs_map(col))
        elif col.type == want:
            out.append(col.combine_chunks())
        elif pa.types.is_string(want):
            out.append(to_string(col).combine_chunks())
        else:
            out.append(pc.cast(col, want).combine_chunks())
    return pa.Table.from_arrays(out, schema=STORE_SCHEMA)


_DAY_NS = 86_400 * 10**9
_NO_TIME = np.iinfo(np.int64).min


def _partition_codes(table: pa.Table, name: str) -> tuple[np.ndarray, list[str]]:
    """Each row's partition value of column ``name``, as codes into a list of values (vectorised)."""
    if name == "date":  # the UTC day of ts, from integer nanoseconds (strftime per row costs a second per million)
        ns = pc.fill_null(pc.cast(table.column("ts"), pa.int64()), _NO_TIME)
        days = np.asarray(ns.to_numpy(), dtype=np.int64)
        days = np.where(days == _NO_TIME, _NO_TIME, np.floor_divide(days, _DAY_NS))
        uniques, codes = np.unique(days, return_inverse=True)
        epoch = pd.Timestamp(0)
        labels = [NONE_VALUE if d == _NO_TIME else f"{epoch + pd.Timedelta(int(d), 'D'):%Y-%m-%d}" for d in uniques]
        return codes.astype(np.int64), labels
    encoded = pc.dictionary_encode(pc.fill_null(to_string(table.column(name)), NONE_VALUE)).combine_chunks()
    return np.asarray(encoded.indices.to_numpy(), dtype=np.int64), [str(v) for v in encoded.dictionary.to_pylist()]


#: Longest partition directory name written; a longer one is cut and ends in a hash of its value.
_MAX_DIR_NAME = 200


def _dir_name(name: str, value: str) -> str:
    # Hive style; "/" and anything else unsafe in a file name is escaped (the "name=" prefix keeps ".." harmless).
    # File systems refuse a name past 255 bytes (a long service name, any deep source_file): such a value is cut
    # and a hash of it appended. The directory only places a part; its rows carry the value itself.
    quoted = urllib.parse.quote(value, safe="()")
    if len(name) + 1 + len(quoted) <= _MAX_DIR_NAME:
        return f"{name}={quoted}"
    head = quoted[: _MAX_DIR_NAME - len(name) - 18]
    cut = head.rfind("%", len(head) - 2)
    head = head[:cut] if cut >= 0 else head  # never end inside a %XX escape
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{name}={head}~{digest}"


# --------------------------------------------------------------------------- writing


class EventStoreWriter:
    """Writes store tables into partitioned Parquet parts, committing them per source file.

    Parameters
    ----------
    out : path
        The store's directory (created).
    partition_by : sequence of str
        Columns among :data:`PARTITION_COLUMNS`; a directory level each.
    """

    def __init__(self, out: str | os.PathLike[str], partition_by: Sequence[str]) -> None:
        bad = [c for c in partition_by if c not in PARTITION_COLUMNS]
        if bad:
            raise InvalidParameterError(
                f"partition_by: {', '.join(map(repr, bad))} cannot partition a store; "
                f"choose from {', '.join(PARTITION_COLUMNS)}"
            )
        check_store_path(out)
        self.out = Path(out)
        self.partition_by = tuple(partition_by)
        self._buffers: dict[tuple[str, ...], list[pa.Table]] = {}
        self._buffered = 0
        self._seq = 0
        self.pending: list[dict[str, Any]] = []  # parts written for the current source file, not committed
        self._submitted: list[Path] = []  # every part path handed to the writer for the current file
        self._inflight: list[Future[dict[str, Any]]] = []
        self._pool: ThreadPoolExecutor | None = None

    def add(self, table: pa.Table) -> None:
        """Buffer a table (in :data:`STORE_SCHEMA`), writing parts when the buffer is large."""
        if not table.num_rows:
            return
        if self.partition_by:
            coded = [_partition_codes(table, c) for c in self.partition_by]
            combined = np.zeros(table.num_rows, dtype=np.int64)
            for codes, labels in coded:  # one integer per combination of values
                combined = combined * len(labels) + codes
            keys, inverse = np.unique(combined, return_inverse=True)
            order = np.argsort(inverse, kind="stable")  # rows of each partition, in file order
            bounds = np.searchsorted(inverse[order], np.arange(len(keys) + 1))
            groups: list[tuple[tuple[str, ...], Any]] = []  # (partition values, row indices)
            for g, key in enumerate(keys):
                values = []
                rest = int(key)
                for _, labels in reversed(coded):
                    rest, code = divmod(rest, len(labels))
                    values.append(labels[code])
                groups.append((tuple(reversed(values)), order[bounds[g] : bounds[g + 1]]))
            for key, idx in groups:
                part = table if len(idx) == table.num_rows else table.take(pa.array(idx))
                self._buffer(key, part)
        else:
            self._buffer((), table)
        while self._buffered > BUFFER_BYTES:
            largest = max(self._buffers, key=lambda k: sum(t.nbytes for t in self._buffers[k]))
            self._flush(largest)

    def _buffer(self, key: tuple[str, ...], table: pa.Table) -> None:
        self._buffers.setdefault(key, []).append(table)
        self._buffered += table.nbytes

    def _flush(self, key: tuple[str, ...]) -> None:
        """Hand one partition's buffered rows to the writer thread (one part file)."""
        tables = self._buffers.pop(key)
        self._buffered -= sum(t.nbytes for t in tables)
        self._seq += 1
        folder = self.out.joinpath(*(_dir_name(c, v) for c, v in zip(self.partition_by, key, strict=True)))
        final = folder / f"part-{os.getpid()}-{self._seq:06d}.parquet"
        self._submitted.append(final)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="apiprobe-store")
        self._inflight.append(self._pool.submit(self._write_part, tables, final))
        while len(self._inflight) > _IN_FLIGHT:  # bounded: compressing overlaps parsing, memory stays flat
            self.pending.append(self._inflight.pop(0).result())

    def _write_part(self, tables: list[pa.Table], final: Path) -> dict[str, Any]:
        """Write one part (to a temporary name, renamed when complete); runs in the writer thread."""
        import pyarrow.parquet as pq

        table = pa.concat_tables(tables)
        final.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(
            final,
            lambda tmp: pq.write_table(
                table, tmp, compression="zstd", row_group_size=ROW_GROUP_ROWS, use_dictionary=_DICTIONARY_COLUMNS
            ),
            f"cannot write a part of the store (the store at {self.out} keeps the files converted before this one: "
            f"{MANIFEST} lists them)",
        )
        ts = table.column("ts")
        return {
            "path": final.relative_to(self.out).as_posix(),
            "rows": table.num_rows,
            "ts_min": _iso(pc.min(ts).as_py()),
            "ts_max": _iso(pc.max(ts).as_py()),
        }

    def finish_file(self) -> list[dict[str, Any]]:
        """Write every buffered row and hand back the parts written since the last call.

        Raises
        ------
        EventStoreError
            A part could not be written.
        """
        for key in list(self._buffers):
            self._flush(key)
        while self._inflight:
            self.pending.append(self._inflight.pop(0).result())
        done, self.pending, self._submitted = self.pending, [], []
        return done

    def discard_pending(self) -> None:
        """Forget the buffered rows and delete the parts of the file being written (after a failure)."""
        self._buffers.clear()
        self._buffered = 0
        for fut in self._inflight:
            with contextlib.suppress(Exception):
                fut.result()
        self._inflight = []
        for final in self._submitted:
            for path in (final, final.with_name(final.name + ".tmp")):
                with contextlib.suppress(OSError):
                    path.unlink()
        self.pending, self._submitted = [], []

    def close(self) -> None:
        """Stop the writer thread (after :meth:`finish_file` or :meth:`discard_pending`)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return pd.Timestamp(value).tz_convert("UTC").isoformat() if pd.Timestamp(value).tzinfo else None


def write_manifest(out: str | os.PathLike[str], manifest: dict[str, Any]) -> None:
    """Replace the store's manifest atomically (a failed write keeps the previous one)."""
    text = json.dumps(manifest, indent=1, default=str)
    _write_atomically(
        Path(out) / MANIFEST,
        lambda tmp: tmp.write_text(text, encoding="utf-8"),
        "cannot write the store's manifest (the previous manifest is kept)",
    )


def _write_atomically(path: Path, write: Callable[[Path], object], failure: str) -> None:
    """``write`` to a temporary name beside ``path``, then rename it over ``path``; nothing half-written stays.

    Raises
    ------
    EventStoreError
        The write or the rename failed (a full disk, no permission): ``path`` and ``failure`` name it.
    """
    tmp = path.with_name(path.name + ".tmp")
    try:
        write(tmp)
        tmp.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise EventStoreError(f"{path}: {failure}: {exc.strerror or exc}") from exc


def new_manifest(partition_by: Sequence[str], classified: bool) -> dict[str, Any]:
    """An empty manifest for a store being written."""
    from apiprobe import __version__

    return {
        "format": STORE_FORMAT,
        "version": STORE_VERSION,
        "apiprobe": __version__,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "partition_by": list(partition_by),
        "classified": classified,
        "schema": {f.name: str(f.type) for f in STORE_SCHEMA},
        "files": [],
        "rows": 0,
        "ts_min": None,
        "ts_max": None,
    }


# --------------------------------------------------------------------------- reading


def is_event_store(path: Any) -> bool:
    """True when ``path`` is a directory with a store manifest (written by :func:`~apiprobe.convert_logs`).

    A folder that merely holds Parquet files (a saved table, say) is not taken for a store.
    """
    if not isinstance(path, str | os.PathLike):
        return False
    return (Path(path) / MANIFEST).is_file()


#: Characters DuckDB reads as wildcards in a file path.
_GLOB_CHARS = frozenset("*?[]{}")


def check_store_path(path: str | os.PathLike[str]) -> None:
    """Refuse a store path DuckDB would read as a pattern (``*``, ``?``, ``[``, ``]``, ``{``, ``}``).

    Raises
    ------
    InvalidParameterError
        The path holds one of those characters.
    """
    bad = sorted(set(str(path)) & _GLOB_CHARS)
    if bad:
        raise InvalidParameterError(
            f"{path}: DuckDB reads {' '.join(bad)} in a path as a wildcard, so this store would mix in other "
            "files; rename or move it to a path without them"
        )


def store_order(dataset: str | os.PathLike[str]) -> str:
    """A DuckDB ``order by`` list that puts a store's lines in :func:`~apiprobe.read_logs` order.

    Time first (lines without one last), then the order the files were read
    in (the manifest's), then the line number.
    """
    root = Path(dataset)
    if not (root / MANIFEST).is_file():
        return "ts asc nulls last, source_file, line_no"
    files = [str(f["source_file"]) for f in read_manifest(root).get("files", []) if f.get("source_file")]
    listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    return f"ts asc nulls last, list_position([{listed}]::varchar[], source_file), source_file, line_no"


def read_manifest(dataset: str | os.PathLike[str]) -> dict[str, Any]:
    """The manifest of a store written by :func:`~apiprobe.convert_logs`.

    Raises
    ------
    DataFormatError
        No manifest, or one that is not JSON or not an apiprobe store's.
    """
    path = Path(dataset) / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DataFormatError(f"{dataset}: not an apiprobe evidence store (no {MANIFEST})") from exc
    except (OSError, ValueError) as exc:
        raise DataFormatError(f"{path}: unreadable store manifest: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != STORE_FORMAT:
        found = data.get("format") if isinstance(data, dict) else f"a JSON {type(data).__name__}"
        raise DataFormatError(f"{path}: not an apiprobe evidence store manifest (format {found!r})")
    version = data.get("version", 0)
    if not isinstance(version, int) or isinstance(version, bool):
        raise DataFormatError(f"{path}: store manifest with a version that is not a number ({version!r})")
    if version > STORE_VERSION:
        raise DataFormatError(
            f"{path}: store format version {version} is newer than this apiprobe reads "
            f"({STORE_VERSION}); upgrade apiprobe"
        )
    if not _valid_files(data.get("files")):
        raise DataFormatError(
            f"{path}: store manifest without a valid list of files and their parts (each a relative path in the store)"
        )
    return data


def _valid_files(files: Any) -> bool:
    """Whether a manifest's ``files`` is a list of records whose parts are relative paths inside the store."""
    if not isinstance(files, list):
        return False
    for record in files:
        parts = record.get("parts") if isinstance(record, dict) else None
        if not isinstance(record, dict) or not isinstance(parts or [], list):
            return False
        for part in parts or []:
            rel = part.get("path") if isinstance(part, dict) else None
            if not isinstance(rel, str) or not rel or Path(rel).is_absolute() or ".." in Path(rel).parts:
                return False
    return True


def store_parts(dataset: str | os.PathLike[str]) -> list[Path]:
    """The Parquet parts of a store: those its manifest commits, else every ``*.parquet`` under it.

    Raises
    ------
    DataFormatError
        ``dataset`` is not a directory, holds no parts, or its manifest names a part that is gone.
    """
    root = Path(dataset)
    if not root.is_dir():
        raise DataFormatError(f"{dataset}: no such evidence store (not a directory)")
    check_store_path(root)
    if (root / MANIFEST).is_file():
        manifest = read_manifest(root)
        parts = [root / part["path"] for f in manifest["files"] for part in f.get("parts", [])]
        missing = [p for p in parts if not p.is_file()]
        if missing:
            raise DataFormatError(
                f"{dataset}: {len(missing)} part(s) listed in {MANIFEST} are gone (first: {missing[0]}); "
                "convert the logs again"
            )
        return parts
    parts = sorted(p for p in root.rglob("*.parquet") if p.is_file())
    if not parts:
        raise DataFormatError(f"{dataset}: no Parquet files under it (not an evidence store)")
    return parts


def _sql_list(paths: Iterable[Path]) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


def _empty_relation(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
    return con.from_arrow(STORE_SCHEMA.empty_table())


def open_events(
    dataset: str | os.PathLike[str], *, con: duckdb.DuckDBPyConnection | None = None
) -> duckdb.DuckDBPyRelation:
    """A DuckDB relation over a store's events, for SQL that runs out of core.

    Parameters
    ----------
    dataset : path
        A store written by :func:`~apiprobe.convert_logs` (or any directory of
        Parquet files in the ``events`` schema).
    con : duckdb.DuckDBPyConnection, optional
        The connection to use; by default a new in-memory one.

    Returns
    -------
    duckdb.DuckDBPyRelation
        One row per log line, with the :data:`STORE_SCHEMA` columns. Use it
        as a table: ``rel.aggregate(...)``, ``rel.filter(...)``, or
        ``con.sql("select … from events")`` after ``rel.create_view("events")``.

    Raises
    ------
    DataFormatError
        Not a store (see :func:`store_parts`), or parts DuckDB cannot open.
        A part damaged later surfaces when the relation is run (as DuckDB's
        error; the analyses that take a store raise :class:`DataFormatError`).
    InvalidParameterError
        A path DuckDB would read as a pattern (see :func:`check_store_path`).

    Examples
    --------
    >>> rel = open_events("incident-store")                       # doctest: +SKIP
    >>> rel.filter("level = 'error'").aggregate("service, count(*)").df()  # doctest: +SKIP
    """
    import duckdb

    parts = store_parts(dataset)
    con = con if con is not None else duckdb.connect()
    if not parts:
        return _empty_relation(con)
    try:
        # Parts are self-contained (the partition columns are inside them): DuckDB must not take values from
        # the directory names, where a NULL is spelled "(none)" and a long value is cut (and "date" is no column).
        return con.sql(
            f"select * from read_parquet({_sql_list(parts)}, union_by_name = true, hive_partitioning = false)"
        )
    except duckdb.Error as exc:
        raise DataFormatError(f"{dataset}: DuckDB cannot read the store: {exc}") from exc


def read_events(
    dataset: str | os.PathLike[str], *, columns: Sequence[str] | None = None, where: str | None = None
) -> pd.DataFrame:
    """A store's events (all, or those ``where`` selects) as an ``events`` table in memory.

    Parameters
    ----------
    dataset : path
        A store written by :func:`~apiprobe.convert_logs`.
    columns : sequence of str, optional
        Columns to read (default all of :data:`STORE_SCHEMA`).
    where : str, optional
        A DuckDB SQL condition, e.g. ``"service = 'checkout' and level = 'error'"``.

    Returns
    -------
    pandas.DataFrame
        Sorted as :func:`~apiprobe.read_logs` sorts (time, then file and line;
        lines without a time last), with the same dtypes; ``attrs`` is a map column.

    Raises
    ------
    DataFormatError
        Not a store, or parts DuckDB cannot read.
    InvalidParameterError
        A ``where`` DuckDB refuses (a syntax error, an unknown column), or an unknown column in ``columns``.
    """
    import duckdb

    rel = open_events(dataset)
    if where:
        try:
            rel = rel.filter(where)
        except duckdb.Error as exc:
            raise InvalidParameterError(f"where: DuckDB cannot use {where!r}: {exc}") from exc
    cols = list(columns) if columns is not None else STORE_COLUMNS
    unknown = [c for c in cols if c not in STORE_COLUMNS]
    if unknown:
        raise InvalidParameterError(f"columns: not store columns: {', '.join(unknown)}")
    order = [c for c in ("ts", "source_file", "line_no") if c in cols]
    sql = ", ".join(_quote(c) for c in cols)
    try:
        table = rel.select(sql).order(store_order(dataset) if len(order) == 3 else ", ".join(order) or "1").arrow()
    except duckdb.Error as exc:
        if where:  # most often the condition itself (a cast that fails on some row)
            raise InvalidParameterError(f"where: DuckDB could not run {where!r} on {dataset}: {exc}") from exc
        raise DataFormatError(f"{dataset}: DuckDB cannot read the store: {exc}") from exc
    if isinstance(table, pa.RecordBatchReader):
        table = table.read_all()
    return arrow_events_to_pandas(table)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def arrow_events_to_pandas(table: pa.Table) -> pd.DataFrame:
    """An Arrow events table as pandas with the dtypes :func:`~apiprobe.read_logs` gives."""

    def mapper(t: pa.DataType) -> Any:
        if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
            return pd.StringDtype("pyarrow")
        if pa.types.is_int64(t) or pa.types.is_int32(t):
            return pd.Int64Dtype()
        if pa.types.is_boolean(t):
            return pd.BooleanDtype()
        if pa.types.is_struct(t) or pa.types.is_map(t):
            return pd.ArrowDtype(t)
        return None

    if "ts" in table.column_names and table.column("ts").type != _TYPES["ts"]:
        table = table.set_column(table.schema.get_field_index("ts"), "ts", pc.cast(table.column("ts"), _TYPES["ts"]))
    return table.to_pandas(types_mapper=mapper)


#: The lines of a store that analyses read one by one (errors, warn/error/fatal lines, retry
#: attempts, lines that may log a breaker opening), as a DuckDB condition; the others they count.
FOCUS_SQL = (
    "error_kind is not null or lower(level) in ('warn', 'error', 'fatal') or attempt is not null "
    "or lower(coalesce(msg, raw)) like '%open%'"
)
