"""Caps that keep a loader's memory bounded on hostile input, and bounded gunzip.

A 2 MB ``.gz`` can inflate to gigabytes (a "decompression bomb"); a log line
with no newline can be as long as the file. Each loader inflates through
:func:`gunzip` (whole-file formats: pprof, traces, HAR, goroutine dumps) or
caps each line at :func:`max_line_bytes` (logs, streamed). The caps are
documented in the README and overridable per process with environment
variables, which reach notebooks run by ``apiprobe report`` as well:

``APIPROBE_MAX_INFLATED``
    Largest inflated size of one compressed file (default ``1G``). A file that
    inflates past it raises :class:`~apiprobe.errors.DataFormatError` naming
    the file and the cap; nothing past the cap is ever held in memory.
``APIPROBE_MAX_LINE``
    Longest log line kept whole (default ``8M``); a longer line is kept as one
    unparsed row, truncated, with a note.

Sizes accept a plain byte count or a ``K``/``M``/``G`` suffix (powers of 1024).
"""

from __future__ import annotations

import os
import re
import zlib
from dataclasses import dataclass

from apiprobe.errors import DataFormatError, InvalidParameterError

__all__ = [
    "DEFAULT_MAX_INFLATED",
    "DEFAULT_MAX_LINE",
    "MAX_INFLATED_ENV",
    "MAX_LINE_ENV",
    "Inflated",
    "gunzip",
    "max_inflated_bytes",
    "max_line_bytes",
    "parse_size",
]

MAX_INFLATED_ENV = "APIPROBE_MAX_INFLATED"
MAX_LINE_ENV = "APIPROBE_MAX_LINE"
DEFAULT_MAX_INFLATED = 1 << 30
DEFAULT_MAX_LINE = 8 << 20

_SIZE = re.compile(r"\s*(\d+)\s*([kmgt]?)i?b?\s*", re.IGNORECASE)
_UNIT = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
_STEP = 1 << 20


def parse_size(text: str, *, name: str) -> int:
    """Bytes in a size such as ``"512M"``, ``"2G"`` or ``"1048576"``.

    Parameters
    ----------
    text : str
        The size: digits, optionally followed by ``K``, ``M``, ``G`` or ``T`` (powers of 1024).
    name : str
        Where the size came from (an environment variable), for the message.

    Returns
    -------
    int
        The size in bytes (at least 1).

    Raises
    ------
    InvalidParameterError
        When the text is not a size.
    """
    m = _SIZE.fullmatch(text)
    if m is None or int(m.group(1)) < 1:
        raise InvalidParameterError(f"{name}: expected a size such as 512M or 2G, got {text!r}")
    return int(m.group(1)) * _UNIT[m.group(2).lower()]


def _from_env(var: str, default: int) -> int:
    raw = os.environ.get(var, "").strip()
    return parse_size(raw, name=var) if raw else default


def max_inflated_bytes() -> int:
    """The largest inflated size of one compressed file (``APIPROBE_MAX_INFLATED``, default 1 GiB).

    Returns
    -------
    int
        The cap in bytes.
    """
    return _from_env(MAX_INFLATED_ENV, DEFAULT_MAX_INFLATED)


def max_line_bytes() -> int:
    """The longest log line kept whole (``APIPROBE_MAX_LINE``, default 8 MiB).

    Returns
    -------
    int
        The cap in bytes.
    """
    return _from_env(MAX_LINE_ENV, DEFAULT_MAX_LINE)


@dataclass(frozen=True)
class Inflated:
    """What :func:`gunzip` got out of a gzip stream.

    Attributes
    ----------
    data : bytes
        The inflated bytes (every member of a multi-member stream, in order).
    complete : bool
        False when the stream is cut short or corrupt: ``data`` is what came before the cut.
    error : str or None
        What stopped the stream early, when it did.
    """

    data: bytes
    complete: bool
    error: str | None = None


def gunzip(
    data: bytes,
    name: str,
    *,
    limit: int | None = None,
    error: type[DataFormatError] = DataFormatError,
) -> Inflated:
    """Inflate a gzip stream without ever holding more than ``limit`` bytes.

    Parameters
    ----------
    data : bytes
        The compressed bytes (starting with the gzip magic).
    name : str
        The file name, for the message.
    limit : int, optional
        The cap on inflated bytes; :func:`max_inflated_bytes` when omitted.
    error : type of DataFormatError
        The exception class to raise (a loader's own subclass).

    Returns
    -------
    Inflated
        The bytes, and whether the stream was complete (a cut stream keeps its start).

    Raises
    ------
    DataFormatError
        (or ``error``) When the stream inflates past the cap: the message names
        the file, the cap and the variable that raises it.
    """
    cap = max_inflated_bytes() if limit is None else limit
    out = bytearray()
    rest = data
    while True:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        pending = rest
        try:
            while True:
                piece = inflater.decompress(pending, _STEP)
                out += piece
                if len(out) > cap:
                    raise error(
                        f"{name}: inflates to more than {cap:,} bytes, the cap for one compressed file "
                        f"(a decompression bomb, or a very large file: raise the cap with {MAX_INFLATED_ENV}=…, "
                        "e.g. 4G)"
                    )
                pending = inflater.unconsumed_tail
                if inflater.eof or (not pending and not piece):
                    break
        except zlib.error as exc:
            return Inflated(bytes(out), complete=False, error=f"corrupt gzip data: {exc}")
        if not inflater.eof:
            return Inflated(bytes(out), complete=False, error="the gzip stream is cut short")
        rest = inflater.unused_data
        if not rest.lstrip(b"\x00"):  # trailing padding after the last member is allowed, as gzip(1) does
            return Inflated(bytes(out), complete=True)
        if rest[:2] != b"\x1f\x8b":
            return Inflated(bytes(out), complete=False, error="trailing garbage after the gzip stream")
