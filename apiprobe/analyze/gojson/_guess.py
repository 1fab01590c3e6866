"""Which struct of a Go file the request bodies are for, when nobody said."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from apiprobe.analyze.gojson._gosource import parse_go_structs
from apiprobe.errors import ApiprobeError

__all__ = ["guess_request_struct"]

_JSON_NAME = re.compile(r'json:"([^",]*)')


def guess_request_struct(go_source: str, payloads: Sequence[str]) -> str:
    """The struct whose fields the payloads' top-level keys match best (case-insensitively, as Go matches).

    A key matches a field by its ``json`` tag name or, without one, by the field
    name. Ties go to the struct with more fields; structs used only as fields of
    others rarely win, since the payload's keys are the outer struct's.

    Parameters
    ----------
    go_source : str
        Go source with the struct types.
    payloads : sequence of str
        Request bodies (JSON objects; others are ignored).

    Returns
    -------
    str
        The struct name; empty when the source has no struct with fields or no key matches.
    """
    try:
        structs = parse_go_structs(go_source)
    except ApiprobeError:
        return ""
    keys: set[str] = set()
    for body in payloads:
        try:
            doc = json.loads(body)
        except ValueError:
            continue
        if isinstance(doc, dict):
            keys |= {str(k).lower() for k in doc}
    best, best_score = "", (0, 0)
    for name, struct in structs.items():
        names = set()
        for field in struct.fields:
            tag = _JSON_NAME.search(field.tag or "")
            names.add((tag.group(1) if tag and tag.group(1) else field.name).lower())
        score = (len(names & keys), len(struct.fields))
        if score[0] and score > best_score:
            best, best_score = name, score
    return best
