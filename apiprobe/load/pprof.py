"""Read pprof profiles (``profile.proto``, gzip or raw) without generated code.

The reader decodes the protobuf wire format itself (see
:mod:`apiprobe.load._pprof_decode`, :mod:`apiprobe.load._protobuf` and the
vectorised paths in :mod:`apiprobe.load._pprof_fast`), keeps stacks deduplicated (one entry per
unique location-id sequence) and keeps locations, lines and functions as
arrays (:class:`LocTable`): the :class:`Location`/:class:`Frame` objects
and the per-frame table are built only when first asked for, so a
20k-sample CPU profile loads in about a tenth of a second.

It follows ``go tool pprof`` where the format leaves room for choice: the
default sample type is ``default_sample_type`` or else the last type;
``drop_frames``/``keep_frames`` are applied the way pprof's
``RemoveUninteresting`` does; frames without a function are named by their
mapping (``[binary]``) or ``<unknown>`` at function granularity and by hex
address at address granularity (drop rules in :mod:`apiprobe.load._pprof_drop`,
the :class:`Profile` object in :mod:`apiprobe.load._pprof_profile`).
"""

from __future__ import annotations

import re
from os import PathLike
from pathlib import Path

from apiprobe.errors import InvalidParameterError, ProfileFormatError, WireFormatError
from apiprobe.load._limits import gunzip
from apiprobe.load._paths import refusal
from apiprobe.load._pprof_decode import decode_profile
from apiprobe.load._pprof_drop import apply_drop_frames
from apiprobe.load._pprof_profile import (
    Frame,
    Location,
    LocTable,
    Profile,
    gc_paused,
)
from apiprobe.load._pprof_profile import clean_path as clean_path
from apiprobe.load._pprof_profile import concat_profiles as concat_profiles
from apiprobe.load._pprof_profile import share_locations as share_locations
from apiprobe.load._sniff import judge_bytes
from apiprobe.load._text import GZIP_MAGIC

__all__ = ["Frame", "LocTable", "Location", "Profile", "ProfileFormatError", "parse_pprof", "read_pprof"]


_LEGACY_HINT = "legacy pre-protobuf profile format; re-record with a current Go or convert with `go tool pprof -proto`"
_LEGACY_TEXT = (
    b"heap profile:",
    b"heap_v2/",
    b"--- symbol",
    b"--- heap",
    b"--- contention",
    b"--- threadz",
    b"goroutine profile:",
    b"threadcreate profile:",
    b"--- mutex",
    b"--- java",
    b"%",
    b"mutex profile:",
    b"contention profile:",
)


def read_pprof(path: str | PathLike[str], *, drop_frames: bool = True) -> Profile:
    """Read a pprof profile file (gzip-compressed or raw protobuf).

    Each row of the result's ``.samples`` table is one sample (its values per
    sample type, in the type's unit, and its labels); each row of ``.frames``
    is one frame of one sample. See :class:`Profile` for the columns.

    Parameters
    ----------
    path : str or path-like
        The profile file. The file's bytes go to :func:`parse_pprof` instead.
    drop_frames : bool, default True
        Apply the profile's ``drop_frames``/``keep_frames`` regexes the way
        ``go tool pprof`` does (default). ``False`` keeps every frame.

    Returns
    -------
    Profile
        See :class:`Profile`; ``.samples`` and ``.frames`` are tables.

    Raises
    ------
    ProfileFormatError
        Legacy (pre-protobuf) profiles, corrupt, truncated or empty files;
        the message names the file and what is wrong.
    InvalidParameterError
        When ``path`` is bytes or another non-path (use :func:`parse_pprof`).
    """
    if not isinstance(path, (str, PathLike)):
        raise InvalidParameterError(
            f"path: expected a file path, got {type(path).__name__}; use parse_pprof() for the profile's bytes"
        )
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ProfileFormatError(f"{p}: cannot read file: {exc}") from exc
    return parse_pprof(data, source=str(p), drop_frames=drop_frames)


def _looks_legacy(data: bytes) -> bool:
    head = data[:64].lstrip()
    if any(head.startswith(t) for t in _LEGACY_TEXT):
        return True
    # Legacy binary CPU profile: header words 0, 3, 0 (32- or 64-bit, either endian).
    for width in (8, 4):
        if len(data) >= 3 * width:
            for order in ("little", "big"):
                words = [int.from_bytes(data[i * width : (i + 1) * width], order) for i in range(3)]
                if words == [0, 3, 0]:
                    return True
    return False


_CONTROL = frozenset(range(32)) - {9, 10, 13}
_COLLAPSED = re.compile(rb"^[^\n;]+(;[^\n;]+)* \d+\r?$", re.MULTILINE)


def _not_protobuf(data: bytes) -> str | None:
    """What ``data`` is when its first bytes show it cannot be ``profile.proto``, with the way to read it.

    Every encoded profile has a control byte in its first few bytes (a field
    tag such as ``0x08``, or the empty first string's length ``0x00``), so
    data whose start is printable UTF-8 text is never a profile.
    """
    if data.startswith(b"go 1.") and b" trace" in data[:16]:
        return "a Go execution trace (runtime/trace), not a pprof profile: open it with `go tool trace`"
    head = data[:512]
    if any(b in _CONTROL for b in head):
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # not just a character cut at the 512-byte mark
            return None
        text = head[: exc.start].decode("utf-8")
    first = text.strip().split("\n", 1)[0][:80]
    if text.lstrip()[:1] in ("{", "["):
        kind = "a Chrome trace-event JSON file" if '"traceEvents"' in text else "a JSON document"
        return f"{kind}, not a pprof profile (it starts {first!r})"
    if "flat  flat%" in text:
        return "pprof's text report, not the profile: read the profile it was made from (`go tool pprof -proto`)"
    if _COLLAPSED.match(head.lstrip()):
        return "collapsed stacks (flame graph input), not a pprof profile"
    return f"a text file, not a pprof profile (it starts {first!r})"


def parse_pprof(data: bytes, *, source: str = "<bytes>", drop_frames: bool = True) -> Profile:
    """Decode pprof bytes (gzip or raw protobuf).

    Parameters
    ----------
    data : bytes
        The profile's bytes, gzip-compressed or raw ``profile.proto``.
    source : str, default "<bytes>"
        Name used in error messages and recorded in :attr:`Profile.source`.
    drop_frames : bool, default True
        Apply the profile's ``drop_frames``/``keep_frames`` regexes as ``go tool pprof`` does.

    Returns
    -------
    Profile
        See :class:`Profile`; ``.samples`` and ``.frames`` are tables.

    Raises
    ------
    ProfileFormatError
        Legacy (pre-protobuf) profiles, corrupt, truncated or empty data;
        the message names ``source`` and what is wrong.
    """
    if not data:
        raise ProfileFormatError(f"{source}: empty file, not a pprof profile")
    message = refusal(source, *judge_bytes(data, source), "pprof", "a pprof profile")
    if message is not None:
        raise ProfileFormatError(message)
    if data[:2] == GZIP_MAGIC:
        inflated = gunzip(data, source, error=ProfileFormatError)  # bounded: APIPROBE_MAX_INFLATED
        if not inflated.complete:
            raise ProfileFormatError(f"{source}: corrupt or truncated gzip stream: {inflated.error}")
        data = inflated.data
        if not data:
            raise ProfileFormatError(f"{source}: empty profile after gunzip")
    if _looks_legacy(data):
        raise ProfileFormatError(f"{source}: {_LEGACY_HINT}")
    what = _not_protobuf(data)
    if what is not None:
        raise ProfileFormatError(f"{source}: this is {what}")
    try:
        with gc_paused():
            prof = decode_profile(data, source)
    except WireFormatError as exc:
        raise ProfileFormatError(f"{source}: corrupt or truncated protobuf: {exc}") from exc
    except (IndexError, KeyError, UnicodeDecodeError, OverflowError) as exc:
        raise ProfileFormatError(f"{source}: malformed pprof profile: {exc!r}") from exc
    if drop_frames and prof.drop_frames:
        apply_drop_frames(prof)
    return prof
