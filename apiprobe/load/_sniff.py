"""What a file is, judged by its content: the kind of evidence it holds and the function that reads it.

:func:`sniff_file` reads a file's head (:data:`HEAD_BYTES`; a Parquet file's footer), never the
whole file; :func:`sniff_bytes` looks at the first bytes given; gzip data is inflated only as far as
the head needs. The answer, a :class:`Sniffed`, names one of :data:`EVIDENCE_KINDS` (or None), says
in words what the file is and, when cheap, its dialect. The name only breaks ties (``.go``,
``resolv.conf``). In order: empty, gzip (the inside is judged), magic numbers (images, PDF,
archives), Parquet, pprof (legacy, or the field tags of ``profile.proto``), DER; then text: PEM,
goroutine dumps, pprof text output, JSON (HAR, traces, timeouts, tables, logs, payloads), Go source,
resolv.conf, timeouts YAML, /metrics pages, CSV tables, logs; the rest is plain text.
:mod:`apiprobe.load._paths` uses it to refuse or skip files of another kind.
"""

from __future__ import annotations

import contextlib
import os
import re
import zlib
from pathlib import Path

from apiprobe.errors import WireFormatError
from apiprobe.load._protobuf import fields
from apiprobe.load._sniff_kinds import EVIDENCE_KINDS, HEAD_BYTES, LEGACY_PROFILE, WEAK_KINDS, Sniffed, _Judged
from apiprobe.load._sniff_text import describe_json, judge_text, table_kind

__all__ = [
    "EVIDENCE_KINDS",
    "HEAD_BYTES",
    "WEAK_KINDS",
    "Sniffed",
    "describe_json",
    "judge_bytes",
    "judge_file",
    "sniff_bytes",
    "sniff_file",
]

# --------------------------------------------------------------------------- entry points


def sniff_bytes(data: bytes, name: str = "") -> Sniffed:
    """What ``data`` is, judged from its first :data:`HEAD_BYTES` bytes.

    Parameters
    ----------
    data : bytes
        The file's bytes (or its first bytes), gzip-compressed or not. When
        ``data`` is short enough to be judged whole, a gzip stream or protobuf
        message that ends early is reported as ``problem``.
    name : str, default ""
        The file name, used only to break ties (``.go``, ``resolv.conf``).

    Returns
    -------
    Sniffed
        The kind, the words for it, the dialect and any problem.
    """
    return judge_bytes(data, name)[0]


def sniff_file(path: str | os.PathLike[str]) -> Sniffed:
    """What the file at ``path`` is, judged from its head (never the whole file).

    Parameters
    ----------
    path : str or path-like
        The file.

    Returns
    -------
    Sniffed
        As :func:`sniff_bytes`; a file that cannot be opened is ``kind=None``
        with the reason in ``problem``.
    """
    return judge_file(path)[0]


def judge_file(path: str | os.PathLike[str]) -> _Judged:
    """:func:`sniff_file`, and the file's shape: which loaders may still try a file of no known kind.

    The shape is ``binary``, ``secret`` (a private key: never read), ``text`` (structured text of
    no evidence kind: a JSON document, a CSV table), ``prose`` (lines of unknown text) or ``empty``.
    """
    p = Path(path)
    try:
        with open(p, "rb") as fh:
            head = fh.read(HEAD_BYTES + 1)
    except OSError as exc:
        return Sniffed(None, "a file that cannot be read", problem=f"cannot read: {exc.strerror or exc}"), "binary"
    complete = len(head) <= HEAD_BYTES
    if head[:4] == b"PAR1":
        return _parquet_columns(p, head, p.name)
    return _judge(head[:HEAD_BYTES], p.name, complete)


def judge_bytes(data: bytes, name: str = "") -> _Judged:
    """:func:`sniff_bytes`, and the data's shape (see :func:`judge_file`)."""
    if data[:4] == b"PAR1":
        return _parquet_columns(None, data, name)
    return _judge(data[:HEAD_BYTES], name, len(data) <= HEAD_BYTES)


# --------------------------------------------------------------------------- dispatch


_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a legacy Microsoft Office document"),
    (b"\x7fELF", "an ELF executable"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\xfd7zXZ\x00", "an xz-compressed file (decompress it first)"),
    (b"\x28\xb5\x2f\xfd", "a zstd-compressed file (decompress it first)"),
)


def _magic(data: bytes) -> str | None:
    for prefix, what in _MAGIC:
        if data.startswith(prefix):
            return what
    if data[:4] == b"PK\x03\x04":
        office = {b"word/": "a Word document", b"xl/": "an Excel workbook", b"ppt/": "a PowerPoint deck"}
        return next((what for marker, what in office.items() if marker in data[:4096]), "a ZIP archive")
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "a WebP image"
    if re.match(rb"BZh[1-9]1AY&SY", data[:10]):
        return "a bzip2-compressed file (decompress it first)"
    if data[257:262] == b"ustar":
        return "a tar archive"
    if data[:2] == b"MZ" and b"\x00" in data[:64]:
        return "a Windows executable"
    return None


def _go_trace(data: bytes) -> Sniffed | None:
    """A Go execution trace, by its ``go 1.N trace`` header; before Go 1.22 a format apiprobe does not read."""
    m = re.match(rb"go 1\.(\d+) trace\x00", data[:16])
    if m is None:
        return None
    ver = int(m.group(1))
    what = f"a Go execution trace (format go 1.{ver})"
    if ver < 22:
        return Sniffed("gotrace", what, problem=f"go 1.{ver} trace format: re-record the trace with Go >= 1.22")
    return Sniffed("gotrace", what)


def _judge(data: bytes, name: str, complete: bool) -> _Judged:
    if not data:
        return Sniffed(None, "an empty file", problem="empty file"), "empty"
    if data[:2] == b"\x1f\x8b":
        return _gzip(data, name, complete)
    trace = _go_trace(data)
    if trace is not None:
        return trace, "binary"
    magic = _magic(data)
    if magic is not None:
        return Sniffed(None, magic), "binary"
    if _legacy_binary_profile(data):
        return Sniffed("pprof", "a legacy (pre-protobuf) binary CPU profile", problem=LEGACY_PROFILE), "binary"
    der = _der(data, complete)
    if der is not None:
        return der
    proto = _pprof(data, complete) if _CONTROL.search(data[:64]) else None
    if proto is not None:
        return proto, "binary"
    text = _as_text(data)
    if text is None:
        return Sniffed(None, "an unrecognised binary file"), "binary"
    return judge_text(text, name, complete)


def _gz(what: str) -> str:
    noun = what.split(" ", 1)[1] if what.startswith(("a ", "an ")) else what
    return f"a gzip-compressed {noun}"


def _gzip(data: bytes, name: str, complete: bool) -> _Judged:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        inner = inflater.decompress(data, HEAD_BYTES)
    except zlib.error as exc:
        corrupt = f"corrupt gzip stream: {exc}"
        return Sniffed(None, "a gzip file that does not inflate", problem=corrupt), "binary"
    cut = complete and not inflater.eof and not inflater.unconsumed_tail
    inner_complete = inflater.eof and complete and not inflater.unused_data.strip(b"\x00")
    problem = "truncated gzip stream" if cut else None
    if not inner:
        if cut:
            return Sniffed(None, "a gzip stream cut short before any data", problem=problem), "binary"
        if inner_complete:
            return Sniffed(None, "a gzip-compressed empty file", problem="empty file"), "empty"
    found, shape = _judge(inner, name[:-3] if name.lower().endswith(".gz") else name, bool(inner_complete))
    return Sniffed(found.kind, _gz(found.what), found.dialect, problem or found.problem), shape


_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")


def _as_text(data: bytes) -> str | None:
    """The text of ``data`` without its binary lines, or None when it is binary (most lines hold NUL or control bytes).

    A log may hold a few lines of garbage (a binary blob, a NUL): they do not make it binary.
    """
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data[: len(data) // 2 * 2].decode("utf-16", "replace").removeprefix("\ufeff")
    lines = data.split(b"\n")
    good = [ln for ln in lines if not _CONTROL.search(ln)]
    if not good or (len(good) < len(lines) and (len(lines) < 3 or len(good) * 2 <= len(lines))):
        return None
    text = b"\n".join(good).decode("utf-8", "replace")
    if text.count("\ufffd") * 20 > len(text):
        return None
    return text.removeprefix("\ufeff")


# --------------------------------------------------------------------------- binary kinds


def _legacy_binary_profile(data: bytes) -> bool:
    """A legacy binary CPU profile: header words 0, 3, 0 (32- or 64-bit, either endian)."""
    return any(
        [int.from_bytes(data[i * width : (i + 1) * width], order) for i in range(3)] == [0, 3, 0]
        for width in (8, 4)
        for order in ("little", "big")
        if len(data) >= 3 * width
    )


def _der(data: bytes, complete: bool) -> _Judged | None:
    """A DER certificate (or private key): an ASN.1 SEQUENCE with a long-form length."""
    if len(data) < 4 or data[0] != 0x30 or data[1] not in (0x81, 0x82, 0x83):
        return None
    n = data[1] & 0x7F
    total = 2 + n + int.from_bytes(data[2 : 2 + n], "big")
    if total > len(data):
        return None
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    with contextlib.suppress(ValueError):
        x509.load_der_x509_certificate(data[:total])
        return Sniffed("certs", "a DER certificate"), "binary"
    with contextlib.suppress(ValueError, TypeError):
        serialization.load_der_private_key(data[:total], password=None)
        return Sniffed(None, "a DER private key (not evidence; never share it)"), "secret"
    if complete and total == len(data):
        return Sniffed(None, "an ASN.1 DER file that is not a certificate"), "binary"
    return None


# field -> allowed wire types, for the messages of profile.proto the head is checked against
_Fields = dict[int, tuple[int, ...]]
_VALUE_TYPE: _Fields = {1: (0,), 2: (0,)}
_PROFILE: dict[int, tuple[tuple[int, ...], _Fields | None]] = {
    1: ((2,), _VALUE_TYPE),  # sample_type
    2: ((2,), {1: (0, 2), 2: (0, 2), 3: (2,)}),  # sample
    3: ((2,), dict.fromkeys(range(1, 11), (0,))),  # mapping
    4: ((2,), {1: (0,), 2: (0,), 3: (0,), 4: (2,), 5: (0,)}),  # location
    5: ((2,), dict.fromkeys(range(1, 6), (0,))),  # function
    6: ((2,), None),  # string_table
    **{f: ((0,), None) for f in (7, 8, 9, 10, 12, 14, 15)},
    11: ((2,), _VALUE_TYPE),  # period_type
    13: ((0, 2), None),  # comment
}


def _message_ok(buf: bytes, start: int, end: int, allowed: _Fields) -> bool:
    try:
        return all(wire in allowed.get(field, ()) for field, wire, _, _ in fields(buf, start, end))
    except WireFormatError:
        return False


def _pprof(data: bytes, complete: bool) -> Sniffed | None:
    """A pprof profile when the first fields read as ``profile.proto`` (raw protobuf), else None."""
    read, error = 0, None
    types: list[int] = []
    strings: list[bytes] = []
    try:
        for field, wire, value, end in fields(data, 0, len(data)):
            spec = _PROFILE.get(field)
            if (
                spec is None
                or wire not in spec[0]
                or (read < 256 and spec[1] and not _message_ok(data, value, end, spec[1]))
            ):
                error = f"field {field} (wire type {wire}) is not one of profile.proto"
                break
            if field == 1:
                types += [v for f, _, v, _ in fields(data, value, end) if f == 1][:1]
            elif field == 6:
                strings.append(data[value:end])
            read += 1
    except WireFormatError as exc:
        error = str(exc)
    truncated = error is not None and ("truncated" in error or "past the end" in error)
    if not (read >= 3 or (read and error is None and (complete or read >= 2)) or (read >= 2 and truncated)):
        return None
    what = "a pprof profile"
    if types and types[0] < len(strings) and strings[types[0]] == b"goroutine":
        what = "a pprof goroutine profile (debug=0)"
    problem = None
    if error is not None and complete:
        problem = f"truncated protobuf: {error}" if truncated else f"corrupt protobuf after {read} fields: {error}"
    return Sniffed("pprof", what, problem=problem)


def _parquet_columns(path: Path | None, data: bytes, name: str) -> _Judged:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        if path is not None:
            names = pq.read_schema(path).names
        elif data[-4:] == b"PAR1":
            names = pq.read_schema(pa.BufferReader(data)).names
        else:
            return Sniffed(None, "a Parquet table (its columns are in the footer, not given)", "parquet"), "text"
    except (OSError, pa.ArrowException) as exc:
        return (
            Sniffed(None, "a Parquet file whose footer cannot be read", "parquet", problem=f"corrupt Parquet: {exc}"),
            "binary",
        )
    return table_kind(names, "parquet"), "text"
