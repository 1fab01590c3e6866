"""Bytes of a text file into text: gunzip when gzip-compressed, then UTF-8 (a BOM is dropped)."""

from __future__ import annotations

import gzip
import zlib

from apiprobe.errors import DataFormatError

__all__ = ["GZIP_MAGIC", "decode_text"]

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
        When the gzip stream is corrupt or the bytes are not UTF-8.
    """
    if data[:2] == GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataFormatError(f"{name}: corrupt gzip data: {exc}") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataFormatError(f"{name}: not UTF-8 text at byte {exc.start}; not a {what}") from exc
