"""One log file, chunk by chunk: dialect detection, parsing, gzip that is cut short.

:func:`load_stream` reads one stream into Arrow event tables (kept, or handed
to a sink as they are made); :func:`load_file` opens a file for it. The public
readers in :mod:`apiprobe.load.logs` (``read_logs``, ``parse_logs``,
``stream_log_file``, ``stream_log_bytes``) are built on these.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import warnings
import zlib
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa

from apiprobe.errors import DataFormatError, InvalidParameterError
from apiprobe.load._jsonlines import (
    CHUNK_BYTES,
    Chunk,
    ChunkResult,
    iter_file_chunks,
    iter_line_chunks,
    read_json_chunk,
    read_json_file,
    rows_to_table,
)
from apiprobe.load._limits import MAX_INFLATED_ENV, MAX_LINE_ENV, max_inflated_bytes, max_line_bytes
from apiprobe.load._log_columns import events_table, unparsed_table
from apiprobe.load._log_dialects import DIALECTS, JSON_DIALECTS, TEXT_LINE, detect_dialect
from apiprobe.load._log_text_dialects import TEXT_DIALECTS, parse_text_line
from apiprobe.load._logfmt import parse_logfmt
from apiprobe.load._text import GZIP_MAGIC

__all__ = ["FileLoad", "TolerantStream", "load_file", "load_stream", "service_from_path"]

_SUFFIXES = (".gz", ".log", ".jsonl", ".ndjson", ".json", ".txt", ".out")


class FileLoad:
    """Loads one file: chunks → Arrow event tables, plus the per-file counts."""

    def __init__(
        self,
        *,
        source: str,
        dialect: str,
        service: str | None,
        default_service: str,
        regex: re.Pattern[str] | None,
        sink: Callable[[pa.Table], None] | None = None,
    ) -> None:
        self.source = source
        self.dialect = dialect
        self.service = service
        self.default_service = default_service
        self.regex = regex
        self.tables: list[pa.Table] = []
        #: Receives each table as it is parsed instead of :attr:`tables` (streaming: nothing is kept).
        self.sink = sink
        self.lines = 0
        self.blank = 0
        self.unparsed = 0
        self.cut_lines = 0
        self.note: str | None = None

    def _keep(self, table: pa.Table) -> None:
        if self.sink is not None:
            self.sink(table)
        else:
            self.tables.append(table)

    def _emit(self, table: pa.Table, line_nos: np.ndarray) -> None:
        self._keep(
            events_table(
                table,
                dialect=self.dialect,
                service=self.service,
                default_service=self.default_service,
                source=self.source,
                line_nos=line_nos,
            )
        )

    def _records(self, items: list[tuple[int, str]]) -> None:
        """Parse text lines one by one (text dialects, and lines the fast path left)."""
        rows: list[dict[str, Any]] = []
        nos: list[int] = []
        bad: list[tuple[int, str]] = []
        for no, text in items:
            rec = self._parse_line(text)
            if rec is None:
                bad.append((no, text))
            else:
                rows.append(rec)
                nos.append(no)
        if rows:
            self._emit(rows_to_table(rows), np.asarray(nos, dtype=np.int64))
        if bad:
            self.unparsed += len(bad)
            self._keep(unparsed_table(bad, service=self.service or self.default_service, source=self.source))

    def _parse_line(self, text: str) -> dict[str, Any] | None:
        stripped = text.strip()
        if self.dialect in TEXT_DIALECTS:
            rec = parse_text_line(self.dialect, text.rstrip("\r"))
            if rec is not None:
                return rec  # else: a line of another shape in the same file (a JSON line, plain text)
        if self.dialect == "regex":
            assert self.regex is not None
            m = self.regex.search(text)
            return None if m is None else {k: v for k, v in m.groupdict().items() if v is not None}
        if stripped.startswith("{"):
            try:
                obj = json.loads(stripped)
            except (ValueError, RecursionError):
                return None  # a truncated, broken or absurdly nested object is not logfmt either
            return obj if isinstance(obj, dict) else None
        if self.dialect in ("text", *TEXT_DIALECTS):
            m = TEXT_LINE.match(stripped)
            if m is not None:
                return {k: v for k, v in m.groupdict().items() if v is not None}
        return parse_logfmt(stripped)

    def add_chunk(self, chunk: Chunk, parsed: ChunkResult | None = None) -> None:
        """Parse one chunk (``parsed``: its JSON lines, already read by :func:`read_json_chunk`)."""
        self.lines += len(chunk.starts)
        if chunk.cut:  # a line past APIPROBE_MAX_LINE: kept, cut, never parsed
            text = chunk.text(0)
            self.cut_lines += 1
            self.unparsed += 1
            self._keep(
                unparsed_table(
                    [(chunk.first_line, text)], service=self.service or self.default_service, source=self.source
                )
            )
            return
        if self.dialect in JSON_DIALECTS:
            res = parsed if parsed is not None else read_json_chunk(chunk)
            self.blank += res.blank
            if res.table is not None:
                self._emit(res.table, res.line_nos)
            if res.other:
                self._records([(chunk.first_line + i, chunk.text(i)) for i in res.other])
            return
        items: list[tuple[int, str]] = []
        for i in range(len(chunk.starts)):
            text = chunk.text(i)
            if text.strip():
                items.append((chunk.first_line + i, text))
            else:
                self.blank += 1
        if items:
            self._records(items)

    def stats(self) -> dict[str, Any]:
        parsed = self.lines - self.blank - self.unparsed
        return {
            "source_file": self.source,
            "dialect": self.dialect,
            "lines": self.lines,
            "blank": self.blank,
            "parsed": parsed,
            "unparsed": self.unparsed,
            "note": self.note,
        }


_TOLERANT_STEP = 64 << 10


class TolerantStream:
    """A compressed stream that ends where its data is cut or corrupt, instead of raising.

    A log rotated while the service crashed often leaves a truncated ``.gz``;
    the lines before the cut are evidence too. :attr:`error` says what
    stopped the stream.
    """

    def __init__(self, raw: IO[bytes], limit: int | None = None) -> None:
        self.raw = raw
        self.error: str | None = None
        self.limit = max_inflated_bytes() if limit is None else limit
        self.total = 0

    def _guard(self, call: Callable[[], Any], empty: Any) -> Any:
        if self.error is not None:
            return empty
        try:
            return call()
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            self.error = str(exc) or type(exc).__name__
            return empty

    def _count(self, n: int) -> int:
        """Bytes of ``n`` that fit under the cap on inflated size; past it the stream ends."""
        room = self.limit - self.total
        if n > room:
            n = max(room, 0)
            self.error = (
                f"it inflates past {self.limit:,} bytes, the cap for one compressed file "
                f"({MAX_INFLATED_ENV} raises it): only the start was read"
            )
        self.total += n
        return n

    def read(self, size: int = -1) -> bytes:
        data = bytes(self._guard(lambda: self.raw.read(size if size >= 0 else self.limit - self.total + 1), b""))
        return data[: self._count(len(data))]

    def readinto(self, buffer: Any) -> int:
        # Small steps: a read that hits the cut loses what it decompressed, so keep that little.
        view = memoryview(buffer).cast("B")
        total = 0
        while total < len(view) and self.error is None:
            piece = view[total : total + _TOLERANT_STEP]
            n = int(self._guard(lambda: self.raw.readinto(piece), 0))  # type: ignore[attr-defined]  # noqa: B023
            n = self._count(n)
            if not n:
                break
            total += n
        return total


@contextmanager
def open_binary(path: Path) -> Iterator[tuple[IO[bytes], bool]]:
    """The file's bytes (gunzipped when it starts with the gzip magic) and whether it is plain."""
    try:
        fh: IO[bytes] = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise DataFormatError(f"{path}: cannot open: {exc.strerror or exc}") from exc
    try:
        magic = fh.read(2)
        fh.seek(0)
        if magic == GZIP_MAGIC:
            with gzip.GzipFile(fileobj=fh, mode="rb") as gz:
                yield gz, False  # type: ignore[misc]
        else:
            yield fh, True
    finally:
        fh.close()


def read_ahead(chunks: Iterator[Chunk]) -> Generator[tuple[Chunk, ChunkResult | None], None, None]:
    """The chunks, each with its JSON lines parsed, the next one read and parsed in a thread meanwhile.

    pyarrow's parser releases the GIL, so the next chunk is parsed while this
    thread maps, classifies and hands on the previous one (streaming only:
    one chunk ahead, so memory stays bounded).
    """

    def step() -> tuple[Chunk, ChunkResult | None] | None:
        chunk = next(chunks, None)
        if chunk is None:
            return None
        return chunk, (None if chunk.cut else read_json_chunk(chunk))

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="apiprobe-parse") as pool:
        ahead = pool.submit(step)
        while True:
            item = ahead.result()
            if item is None:
                return
            ahead = pool.submit(step)
            yield item


def sample_text(stream: IO[bytes]) -> tuple[bytes, str]:
    head = stream.read(64 << 10)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head, "utf-16"
    return head, "utf-8"


def service_from_path(path: Path) -> str:
    name = path.name
    changed = True
    while changed:
        changed = False
        for suffix in _SUFFIXES:
            if name.lower().endswith(suffix) and len(name) > len(suffix):
                name = name[: -len(suffix)]
                changed = True
    return name


def load_stream(
    stream: IO[bytes],
    *,
    source: str,
    format: str,
    service: str | None,
    default_service: str,
    regex: re.Pattern[str] | None,
    progress: Callable[[int], None] | None = None,
    whole_file: str | None = None,
    sink: Callable[[pa.Table], None] | None = None,
    chunk_bytes: int | None = None,
) -> FileLoad:
    """Detect the dialect from the first 64 KiB and load the stream.

    ``whole_file`` names an uncompressed file that pyarrow may read in one
    piece (the fast path when every line is a JSON object). With ``sink``,
    each parsed table goes to it as soon as it is made and the stream is read
    in chunks of ``chunk_bytes`` (memory bounded by the chunk, whatever the file's size).
    """
    head, encoding = sample_text(stream)
    rest: IO[bytes] = stream
    if encoding == "utf-16":
        data = (head + stream.read()).decode("utf-16", "replace").encode("utf-8")
        head, rest = data[: 64 << 10], io.BytesIO(data[64 << 10 :])
    if format == "auto":
        lines = head.decode("utf-8", "replace").splitlines()
        if len(head) >= (64 << 10) and len(lines) > 1:
            lines = lines[:-1]  # the last one may be cut (a single long line still tells the dialect)
        dialect = "regex" if regex is not None else detect_dialect(lines)
    else:
        if format not in DIALECTS:
            raise InvalidParameterError(
                f"format: unknown log format {format!r} (reading {source}); known: auto, {', '.join(DIALECTS)}"
            )
        if format == "regex" and regex is None:
            raise InvalidParameterError(f"regex: format='regex' needs regex=… with named groups (reading {source})")
        dialect = format
    load = FileLoad(
        source=source, dialect=dialect, service=service, default_service=default_service, regex=regex, sink=sink
    )
    sample_clean = all(
        ln.lstrip().startswith("{") and ln.rstrip().endswith("}")
        for ln in head.decode("utf-8", "replace").splitlines()[:-1]
    )
    if whole_file is not None and sink is None and dialect in JSON_DIALECTS and sample_clean:
        whole = read_json_file(whole_file)
        if whole is not None:
            table, n_lines = whole
            load.lines = n_lines
            load._emit(table, np.arange(1, n_lines + 1, dtype=np.int64))
            if progress is not None:
                progress(Path(whole_file).stat().st_size)
            return load
    if sink is not None:  # streaming: read the file, never map it (a mapping's pages count as resident)
        chunks = iter_line_chunks(rest, chunk_bytes or CHUNK_BYTES, head=head)
    elif whole_file is not None and encoding == "utf-8":
        chunks = iter_file_chunks(whole_file)
    else:
        chunks = iter_line_chunks(rest, head=head)
    pairs: Generator[tuple[Chunk, ChunkResult | None], None, None]
    pairs = read_ahead(chunks) if sink is not None and dialect in JSON_DIALECTS else ((c, None) for c in chunks)
    try:
        for chunk, parsed in pairs:
            load.add_chunk(chunk, parsed)
            if progress is not None:
                progress(len(chunk.data))
    finally:
        pairs.close()  # a failing sink: stop the parse-ahead thread before the file is closed
    notes: list[str] = []
    if load.cut_lines:
        notes.append(
            f"{load.cut_lines} line(s) longer than {max_line_bytes():,} bytes kept cut, as unparsed rows "
            f"({MAX_LINE_ENV} raises the cap)"
        )
    error = stream.error if isinstance(stream, TolerantStream) else None
    if error is not None:
        if load.lines == 0:
            raise DataFormatError(f"{source}: truncated or corrupt gzip data: {error}")
        if error.startswith("it inflates past"):
            notes.append(f"reading stopped after line {load.lines}: {error}")
        else:
            notes.append(f"gzip data cut or corrupt after line {load.lines} ({error}); the lines before it are kept")
    if notes:
        load.note = "; ".join(notes)
        warnings.warn(f"{source}: {load.note}", stacklevel=3)
    return load


def load_file(
    path: Path,
    *,
    format: str,
    service: str | None,
    regex: re.Pattern[str] | None,
    progress: Callable[[int], None] | None = None,
    sink: Callable[[pa.Table], None] | None = None,
    chunk_bytes: int | None = None,
) -> FileLoad:
    """Load one file (gzip recognised by its magic bytes); read errors become :class:`DataFormatError`."""
    with open_binary(path) as (raw, plain):
        stream = raw if plain else TolerantStream(raw)
        try:
            return load_stream(
                stream,  # type: ignore[arg-type]  # a TolerantStream reads like IO[bytes]
                source=str(path),
                format=format,
                service=service,
                default_service=service_from_path(path),
                regex=regex,
                progress=progress,
                whole_file=str(path) if plain else None,
                sink=sink,
                chunk_bytes=chunk_bytes,
            )
        except (OSError, EOFError, zlib.error) as exc:
            raise DataFormatError(f"{path}: cannot read: {exc}") from exc
