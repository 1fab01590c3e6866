"""Request bodies saved for review: ``.jsonl`` (one per line) or ``.json`` (one document or an array)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from apiprobe.errors import DataFormatError

__all__ = ["read_payloads"]


def read_payloads(path: str | os.PathLike[str]) -> list[str]:
    """Request bodies as the text a handler would receive, one string per body.

    Parameters
    ----------
    path : str or path-like
        ``.jsonl`` (one document per line, blank lines skipped) or ``.json`` (one
        document, or an array of documents; an array loses duplicate keys, so use
        ``.jsonl`` to keep them). A ``.json`` that is not valid JSON is kept whole:
        Go's syntax error about it is part of the answer.

    Returns
    -------
    list of str
        The bodies.

    Raises
    ------
    DataFormatError
        When the file cannot be read as UTF-8 text.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFormatError(f"{p}: cannot read payloads: {exc}") from exc
    if p.suffix.lower() == ".json":
        try:
            doc = json.loads(text)
        except ValueError:
            return [text]
        if isinstance(doc, list):
            return [json.dumps(item) for item in doc]
        return [text]
    return [line for line in text.splitlines() if line.strip()]
