"""Bytes of a text file into text (bounded gunzip, then UTF-8), and JSON text into objects."""

from __future__ import annotations

import json
from typing import Any

from apiprobe.errors import DataFormatError
from apiprobe.load._limits import gunzip

__all__ = ["GZIP_MAGIC", "decode_text", "parse_json"]

#: The first two bytes of a gzip stream.
GZIP_MAGIC = b"\x1f\x8b"


def decode_text(data: bytes, name: str, *, what: str) -> str:
    """The text in ``data``, gunzipped first when it starts with the gzip magic.

    Parameters
    ----------
    data : bytes
        The file's bytes.
    name : str
        The file name, for the messages.
    what : str
        What the file should be (``"HAR file"``), for the messages.

    Returns
    -------
    str
        The decoded text (a leading byte-order mark removed).

    Raises
    ------
    DataFormatError
        When the gzip stream is corrupt or inflates past the cap
        (:func:`apiprobe.load._limits.max_inflated_bytes`), or the bytes are not UTF-8.
    """
    if data[:2] == GZIP_MAGIC:
        inflated = gunzip(data, name)
        if not inflated.complete:
            raise DataFormatError(f"{name}: {inflated.error} (after {len(inflated.data):,} bytes); not a whole {what}")
        data = inflated.data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataFormatError(f"{name}: not UTF-8 text at byte {exc.start}; not a {what}") from exc


def parse_json(text: str | bytes, name: str, *, what: str) -> Any:
    """The JSON value in ``text``, with every failure a :class:`DataFormatError` naming the file.

    Parameters
    ----------
    text : str or bytes
        The JSON document.
    name : str
        The file name, for the messages.
    what : str
        What the file should be (``"HAR file"``), for the messages.

    Returns
    -------
    Any
        The decoded value.

    Raises
    ------
    DataFormatError
        When the text is not JSON (naming line and column), or nests deeper
        than Python's parser can follow (a hostile or broken file).
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataFormatError(
            f"{name}: not valid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}; not a {what}"
        ) from exc
    except RecursionError as exc:
        raise DataFormatError(f"{name}: JSON nested too deeply to read (thousands of levels); not a {what}") from exc
