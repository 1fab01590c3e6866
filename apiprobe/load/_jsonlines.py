"""Fast JSON-lines reading: pyarrow's parser on the lines that look like objects.

The file is read in chunks of whole lines. numpy finds the line boundaries and
picks the candidate lines (first byte ``{``, last byte ``}``); those go to
``pyarrow.json`` in one piece, the rest is handed back to the caller with its
line numbers so nothing is lost. When pyarrow refuses a chunk (a line that
looks like an object but is not valid JSON, or a key that changes type from
line to line), that chunk falls back to ``json.loads`` line by line.

A line nested deeper than :data:`MAX_JSON_DEPTH` never reaches either parser:
pyarrow's reader crashes the process on ~50,000 levels and ``json.loads``
raises ``RecursionError`` past ~1,000. Such a line is handed back with the
other lines the fast path left, and ends as one unparsed row. Only a line of
at least ``2 * MAX_JSON_DEPTH`` bytes can be that deep, so the check costs
nothing on ordinary logs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.json as pa_json

from apiprobe.load._limits import max_line_bytes

__all__ = [
    "MAX_JSON_DEPTH",
    "Chunk",
    "count_lines",
    "iter_file_chunks",
    "iter_line_chunks",
    "json_depth",
    "read_json_chunk",
    "read_json_file",
    "rows_to_table",
]

_NL, _CR, _LBRACE, _RBRACE = 10, 13, 123, 125
CHUNK_BYTES = 32 << 20
#: Deepest JSON nesting a log line may have to be parsed (real logs nest a few levels).
MAX_JSON_DEPTH = 512
_MIN_DEEP_BYTES = 2 * MAX_JSON_DEPTH
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_DEPTH_STEP = np.zeros(256, dtype=np.int8)
_DEPTH_STEP[[ord("{"), ord("[")]] = 1
_DEPTH_STEP[[ord("}"), ord("]")]] = -1


def json_depth(line: bytes) -> int:
    """The deepest nesting of objects and arrays in one JSON text (brackets inside strings ignored).

    Parameters
    ----------
    line : bytes
        The JSON text (valid or not).

    Returns
    -------
    int
        The maximum nesting depth (0 for a scalar).
    """
    bare = _JSON_STRING.sub(b'""', line)
    steps = _DEPTH_STEP[np.frombuffer(bare, dtype=np.uint8)].astype(np.int32)
    return int(np.cumsum(steps).max(initial=0))


def _too_deep(line: bytes) -> bool:
    """Whether a line nests past :data:`MAX_JSON_DEPTH` (cheap: few brackets cannot nest deep)."""
    if len(line) < _MIN_DEEP_BYTES or line.count(b"{") + line.count(b"[") <= MAX_JSON_DEPTH:
        return False
    return json_depth(line) > MAX_JSON_DEPTH


@dataclass
class Chunk:
    """Whole lines of a file: the bytes and where each line starts and ends."""

    data: pa.Buffer
    starts: np.ndarray
    ends: np.ndarray  # exclusive, without the line break
    first_line: int  # 1-based line number of the first line
    #: The chunk is one line longer than the line cap, cut to it (the rest was never held).
    cut: bool = False

    @property
    def line_nos(self) -> np.ndarray:
        return np.arange(self.first_line, self.first_line + len(self.starts), dtype=np.int64)

    def text(self, i: int) -> str:
        """Line ``i`` of the chunk as text (undecodable bytes escaped, never dropped)."""
        return self.line(i).decode("utf-8", "backslashreplace")

    def line(self, i: int) -> bytes:
        """Line ``i`` of the chunk as bytes, without its line break."""
        start = int(self.starts[i])
        return self.data[start : int(self.ends[i])].to_pybytes()


def _cut_line(head: bytes, line_no: int) -> Chunk:
    """A one-line chunk for a line longer than the cap: its first bytes only."""
    return Chunk(pa.py_buffer(head + b"\n"), np.array([0]), np.array([len(head)]), line_no, cut=True)


def iter_line_chunks(
    stream: IO[bytes], chunk_bytes: int = CHUNK_BYTES, *, head: bytes = b"", max_line: int | None = None
) -> Iterator[Chunk]:
    """Yield :class:`Chunk` objects of whole lines from ``head`` and then a binary stream.

    Each chunk owns a fresh buffer that the stream is read into directly, so
    a chunk's lines are never copied on the way to the parser; a buffer that
    ends inside a line is followed by one at least twice that line's size. A line that
    outgrows ``max_line`` bytes (default :func:`~apiprobe.load._limits.max_line_bytes`)
    without a line break is cut: its first ``max_line`` bytes come as a chunk
    of its own with ``cut`` set, the rest is read past and dropped, so memory
    stays bounded and no byte is copied twice.
    """
    cap = max_line_bytes() if max_line is None else max_line
    carry = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    check_bom = not head
    line_no = 1
    eof = False
    cut_head: bytes | None = None  # reading past the rest of an over-long line
    while not eof:
        # A line still without its break doubles the next buffer, so a long line is copied
        # O(log) times, not once per chunk (quadratic): memory stays within twice the line cap.
        buf = bytearray(len(carry) + max(chunk_bytes, len(carry)))
        buf[: len(carry)] = carry
        view = memoryview(buf)
        filled = len(carry)
        while filled < len(buf):
            n = stream.readinto(view[filled:])  # type: ignore[attr-defined]
            if not n:
                eof = True
                break
            filled += n
        view.release()
        if check_bom:
            check_bom = False
            if buf.startswith(b"\xef\xbb\xbf"):
                del buf[:3]
                filled -= 3
        if cut_head is not None:
            nl = buf.find(b"\n", 0, filled)
            if nl < 0 and not eof:
                carry = b""
                continue
            yield _cut_line(cut_head, line_no)
            line_no += 1
            cut_head = None
            skip = filled if nl < 0 else nl + 1
            del buf[:skip]
            filled -= skip
        if filled == 0:
            return
        if eof and buf[filled - 1] != _NL:
            if filled < len(buf):
                buf[filled] = _NL
            else:
                buf.append(_NL)
            filled += 1
        last_nl = buf.rfind(b"\n", 0, filled)
        if last_nl < 0:
            if filled > cap:
                cut_head, carry = bytes(buf[:cap]), b""
            else:
                carry = bytes(buf[:filled])
            continue
        carry = bytes(buf[last_nl + 1 : filled])
        if len(carry) > cap:
            cut_head, carry = carry[:cap], b""
        arr = np.frombuffer(buf, dtype=np.uint8, count=last_nl + 1)
        ends = np.flatnonzero(arr == _NL)
        starts = np.empty_like(ends)
        starts[0] = 0
        starts[1:] = ends[:-1] + 1
        has_cr = (ends > starts) & (arr[np.maximum(ends - 1, 0)] == _CR)
        ends = ends - has_cr
        yield Chunk(pa.py_buffer(buf)[: last_nl + 1], starts, ends, line_no)
        line_no += len(starts)
    if cut_head is not None:
        yield _cut_line(cut_head, line_no)


def iter_file_chunks(path: str, chunk_bytes: int = CHUNK_BYTES, *, max_line: int | None = None) -> Iterator[Chunk]:
    """Yield :class:`Chunk` objects of whole lines of an uncompressed file, memory-mapped.

    The chunks are zero-copy views of the mapping, so a large file is never
    copied into fresh memory on its way to the parser. A line longer than
    ``max_line`` bytes and the window comes cut, as in :func:`iter_line_chunks`.
    """
    cap = max_line_bytes() if max_line is None else max_line
    whole = pa.memory_map(path, "r").read_buffer()
    size = whole.size
    if size == 0:
        return
    data = np.frombuffer(whole, dtype=np.uint8)
    start = 3 if data[:3].tobytes() == b"\xef\xbb\xbf" else 0
    line_no = 1
    window = chunk_bytes
    scratch = np.empty(min(window, size), dtype=bool)
    while start < size:
        stop = min(start + window, size)
        hits = scratch[: stop - start]
        np.equal(data[start:stop], _NL, out=hits)
        ends = np.flatnonzero(hits)
        if len(ends) == 0:
            if stop == size:  # the last line, without a line break
                tail = whole.slice(start).to_pybytes() + b"\n"
                yield _chunk(pa.py_buffer(tail), np.array([len(tail) - 1]), line_no)
                return
            if stop - start > cap:  # a line past the cap: cut it, find its end window by window
                head = whole.slice(start, cap).to_pybytes()
                at = stop
                while at < size:
                    nl = np.flatnonzero(data[at : min(at + chunk_bytes, size)] == _NL)
                    if len(nl):
                        at += int(nl[0]) + 1
                        break
                    at += chunk_bytes
                yield _cut_line(head, line_no)
                line_no += 1
                start = min(at, size)
                window = chunk_bytes
                scratch = np.empty(min(window, size), dtype=bool)
                continue
            window *= 2  # a line longer than the window
            scratch = np.empty(min(window, size), dtype=bool)
            continue
        last = int(ends[-1])
        yield _chunk(whole.slice(start, last + 1), ends, line_no)
        line_no += len(ends)
        start += last + 1


def _chunk(buffer: pa.Buffer, ends: np.ndarray, first_line: int) -> Chunk:
    """A chunk from its buffer and the positions of its line breaks."""
    arr = np.frombuffer(buffer, dtype=np.uint8)
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    has_cr = (ends > starts) & (arr[np.maximum(ends - 1, 0)] == _CR)
    return Chunk(buffer, starts, ends - has_cr, first_line)


@dataclass
class ChunkResult:
    """What :func:`read_json_chunk` made of one chunk."""

    table: pa.Table | None
    line_nos: np.ndarray  # line number of each table row
    other: list[int] = field(default_factory=list)  # chunk indices of non-blank lines not in table
    blank: int = 0


def read_json_chunk(chunk: Chunk) -> ChunkResult:
    """Parse the object-looking lines of ``chunk`` with pyarrow (json.loads if refused)."""
    arr = np.frombuffer(chunk.data, dtype=np.uint8)
    starts, ends = chunk.starts, chunk.ends
    nonempty = ends > starts
    if len(arr) == 0:
        return ChunkResult(None, np.empty(0, np.int64), [], len(starts))
    first = arr[np.minimum(starts, len(arr) - 1)]
    last = arr[np.maximum(ends - 1, 0)]
    good = nonempty & (first == _LBRACE) & (last == _RBRACE)
    long_good = np.flatnonzero(good & (ends - starts >= _MIN_DEEP_BYTES))
    if len(long_good):
        deep = [i for i in long_good.tolist() if _too_deep(chunk.line(i))]
        good[deep] = False  # handed back: kept as unparsed rows by the caller
    other = np.flatnonzero(nonempty & ~good)
    blank = int(len(starts) - np.count_nonzero(nonempty))
    good_idx = np.flatnonzero(good)
    if len(good_idx) == 0:
        rest = [i for i in other.tolist() if chunk.line(i).strip()]
        return ChunkResult(None, np.empty(0, np.int64), rest, blank + len(other) - len(rest))
    if len(other) == 0:
        payload = chunk.data
    else:
        # Join runs of consecutive good lines (each with its line break).
        breaks = np.flatnonzero(np.diff(good_idx) != 1)
        run_first = np.concatenate(([good_idx[0]], good_idx[breaks + 1]))
        run_last = np.concatenate((good_idx[breaks], [good_idx[-1]]))
        view = memoryview(chunk.data)
        line_ends = np.concatenate((starts[1:], [len(arr)]))
        payload = b"".join(
            view[s:e] for s, e in zip(starts[run_first].tolist(), line_ends[run_last].tolist(), strict=True)
        )
    line_nos = chunk.first_line + good_idx.astype(np.int64)
    try:
        table = pa_json.read_json(
            pa.BufferReader(payload if isinstance(payload, pa.Buffer) else pa.py_buffer(payload)),
            read_options=pa_json.ReadOptions(use_threads=True, block_size=_block_size(ends - starts)),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        table = None
    if table is not None and int(np.frombuffer(payload, dtype=np.uint8).max()) >= 0x80 and not _valid_utf8(table):
        table = None  # pyarrow does not check UTF-8: find the bad lines one by one
    rest = other.tolist()
    if rest:  # whitespace-only lines are blank lines, not unparsed ones
        kept = [i for i in rest if chunk.line(i).strip()]
        blank += len(rest) - len(kept)
        rest = kept
    if table is not None and table.num_rows == len(good_idx):
        return ChunkResult(table, line_nos, rest, blank)
    return _fallback(chunk, good_idx, rest, blank)


def _valid_utf8(table: pa.Table) -> bool:
    try:
        table.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _block_size(lengths: np.ndarray) -> int:
    """pyarrow's parse block: 1 MiB for parallelism, larger when a line is longer."""
    longest = int(lengths.max()) if len(lengths) else 0
    return max(1 << 20, 2 * longest + 1024)


def read_json_file(path: str) -> tuple[pa.Table, int] | None:
    """The whole (uncompressed) file with pyarrow in one go, when every line is an object.

    Returns the table and the file's line count, or None when pyarrow refuses
    the file or skipped lines (blank ones), so that line numbers would not be
    row positions; the caller then takes the chunked path.
    """
    lines, object_lines, non_ascii, long_lines = _scan(path)
    if len(long_lines) >= _MAX_LONG_LINES:
        return None  # too many to check one by one here: the chunked path checks them per chunk
    if any(end - start > max_line_bytes() for start, end in long_lines):
        return None  # the chunked path cuts lines past the cap
    if long_lines:  # lines long enough to nest past MAX_JSON_DEPTH: check each before pyarrow sees them
        with open(path, "rb") as fh:
            for start, end in long_lines:
                fh.seek(start)
                if _too_deep(fh.read(end - start)):
                    return None  # the chunked path keeps that line as an unparsed row
    try:
        table = pa_json.read_json(path)  # default blocks; a longer line takes the chunked path
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError):
        return None
    # Row i is line i only when every line is one object: no blank line, no two objects on a line.
    if not table.num_rows == lines == object_lines:
        return None
    if non_ascii and not _valid_utf8(table):
        return None
    return table, lines


def count_lines(path: str) -> int:
    """Lines in a file (a last line without a break counts), read through one reused buffer."""
    return _scan(path)[0]


_MAX_LONG_LINES = 100_000


def _scan(path: str) -> tuple[int, int, bool, list[tuple[int, int]]]:
    """Lines, lines starting with ``{``, whether any byte is non-ASCII, and the byte spans of
    lines long enough to nest past :data:`MAX_JSON_DEPTH` (every line's span once there are
    too many to list), in one pass."""
    block = bytearray(8 << 20)
    view = np.frombuffer(block, dtype=np.uint8)
    hits = np.empty(len(block), dtype=bool)
    lines = objects = 0
    last, at_line_start, non_ascii = _NL, True, False
    offset = line_start = 0
    long_lines: list[tuple[int, int]] = []
    with open(path, "rb", buffering=0) as fh:
        while n := fh.readinto(block):
            part = view[:n]
            np.equal(part, _NL, out=hits[:n])
            breaks = np.flatnonzero(hits[:n])
            if len(breaks):
                line_starts = np.concatenate(([line_start], offset + breaks[:-1] + 1))
                line_ends = offset + breaks
                longer = np.flatnonzero(line_ends - line_starts >= _MIN_DEEP_BYTES)
                if len(longer) and len(long_lines) < _MAX_LONG_LINES:
                    long_lines += zip(line_starts[longer].tolist(), line_ends[longer].tolist(), strict=True)
                line_start = offset + int(breaks[-1]) + 1
            offset += n
            lines += len(breaks)
            if at_line_start and part[0] == _LBRACE:
                objects += 1
            nxt = breaks[breaks + 1 < n] + 1
            objects += int(np.count_nonzero(part[nxt] == _LBRACE))
            non_ascii = non_ascii or int(part.max()) >= 0x80
            last = int(part[-1])
            at_line_start = last == _NL
    if offset - line_start >= _MIN_DEEP_BYTES:
        long_lines.append((line_start, offset))
    return lines + (last != _NL), objects, non_ascii, long_lines


def _fallback(chunk: Chunk, good_idx: np.ndarray, other: list[int], blank: int) -> ChunkResult:
    rows: list[dict[str, Any]] = []
    kept: list[int] = []
    for i in good_idx.tolist():
        try:
            obj = json.loads(chunk.line(i))
        except (ValueError, RecursionError):
            other.append(i)
            continue
        if isinstance(obj, dict):
            rows.append(obj)
            kept.append(i)
        else:
            other.append(i)
    other.sort()
    if not rows:
        return ChunkResult(None, np.empty(0, np.int64), other, blank)
    return ChunkResult(rows_to_table(rows), chunk.first_line + np.asarray(kept, np.int64), other, blank)


def _stringify(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, default=str)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def rows_to_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Build an Arrow table from dicts with varying keys and, sometimes, types.

    A key whose values do not share one Arrow type becomes a string column
    (objects as JSON), so a line is never dropped for a type clash.
    """
    keys: dict[str, None] = {}
    for row in rows:
        keys.update(dict.fromkeys(row))
    columns: dict[str, pa.Array] = {}
    for key in keys:
        values = [row.get(key) for row in rows]
        try:
            columns[key] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            columns[key] = pa.array([_stringify(v) for v in values], type=pa.string())
    if not columns:
        return pa.table({"_empty": pa.nulls(len(rows))}).drop_columns(["_empty"])
    return pa.table(columns)
