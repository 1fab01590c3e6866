"""Predict ``json.Unmarshal(payload, &v)``: :func:`simulate_unmarshal` and :class:`UnmarshalResult`.

The payload is syntax-checked whole first (as Go does), then decoded by
:mod:`._decoder`; the per-key fates become the ``keys`` table and findings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from apiprobe.analyze._findings import finding, findings_frame
from apiprobe.analyze.gojson._decoder import KeyRow, decode
from apiprobe.analyze.gojson._gosource import GoType, Package, load_struct
from apiprobe.analyze.gojson._scanner import TreeParser, as_bytes, check_valid
from apiprobe.analyze.gojson._values import NOT_SIMULATED, export_value, zero_value
from apiprobe.errors import DataFormatError

__all__ = ["KEY_OUTCOMES", "UnmarshalResult", "simulate_unmarshal"]

#: Handbook section and fault of every serialization finding.
HANDBOOK_REF = "§2.3"
FAULT = "serialization"

#: Outcomes of one payload key in :attr:`UnmarshalResult.keys`.
KEY_OUTCOMES: dict[str, str] = {
    "set": "the value was stored in the field",
    "set_nil": "null reset a pointer, map, slice or interface field to nil",
    "null_ignored": "null into a non-nullable field: Go leaves the field unchanged",
    "dropped_unknown": "no field has this key, even case-insensitively: silently dropped",
    "dropped_unexported": "the key names an unexported field: Go never fills it",
    "dropped_dash_tag": 'the field that looks like a match is tagged json:"-"',
    "ambiguous_embedded": "two embedded fields at the same depth claim this key: neither is filled",
    "type_error": "the JSON value does not fit the Go type: zero/previous value kept, error returned",
    "overwritten_by_later_key": "a later duplicate key (any casing) targets the same field: last wins; "
    "objects decode into the existing struct/map/pointer, so they merge",
    "not_reached": "Unmarshal stopped at an earlier fatal error before this key",
    "not_simulated": "the field's type has custom JSON methods or comes from another package",
}


@dataclass(frozen=True)
class UnmarshalResult:
    """What ``json.Unmarshal(payload, &v)`` leaves behind, predicted.

    Attributes
    ----------
    values : dict
        The struct after decoding, keyed by Go field name: nested dicts for
        struct fields, embedded structs under their type name, unexported
        fields absent, zero values where Go leaves them ("" / 0 / 0.0 / False,
        None for nil pointers, slices, maps and interfaces; ``bytes`` for
        ``[]byte`` and ``json.RawMessage``). A value Go fills through a type's
        own ``UnmarshalJSON``/``UnmarshalText`` (or a type from another
        package, such as ``time.Time``) is ``pandas.NA``: the simulator never
        shows a zero Go would not leave.
    error : str or None
        The error Unmarshal returns, in Go's wording, or None.
    keys : pandas.DataFrame
        One row per payload key occurrence: ``key`` (payload path, array items
        as ``[i]``), ``field`` (Go field path, NA when none), ``go_type``,
        ``match`` (exact / case_insensitive), ``outcome`` (see ``KEY_OUTCOMES``)
        and ``explanation``.
    findings : pandas.DataFrame
        Findings (schema ``findings``, fault ``serialization``, §2.3).
    """

    values: dict[str, Any]
    error: str | None
    keys: pd.DataFrame
    findings: pd.DataFrame


_KEY_COLUMNS = ["key", "field", "go_type", "match", "outcome", "explanation"]


def simulate_unmarshal(go_source: str, struct_name: str, payload: str | bytes | bytearray) -> UnmarshalResult:
    """Predict ``err := json.Unmarshal(payload, &v)`` for ``var v StructName`` (Go 1.19).

    Parameters
    ----------
    go_source : str
        Go source declaring ``struct_name`` and the types it uses. The
        ``package`` clause (default ``main``) names the types in error messages.
    struct_name : str
        The struct type decoded into (a zero value, like ``var v T``).
    payload : str or bytes
        Raw JSON text (str or bytes): kept raw so duplicate keys, number
        spellings and invalid UTF-8 behave as in Go.

    Returns
    -------
    UnmarshalResult
        Values, Go's error string, per-key fates and findings.

    Raises
    ------
    DataFormatError
        When the Go source cannot be parsed (the line is named).
    InvalidParameterError
        When ``struct_name`` is not a struct type of the source (the ones found are listed).
    """
    try:
        pkg, t = load_struct(go_source, struct_name)
        return unmarshal(pkg, t, as_bytes(payload))
    except RecursionError as exc:  # 5,000 nested anonymous structs, a payload thousands of levels deep
        raise DataFormatError(
            f"{struct_name}: the Go source or the payload nests too deeply to simulate (thousands of levels)"
        ) from exc


def unmarshal(pkg: Package, t: GoType, data: bytes) -> UnmarshalResult:
    """:func:`simulate_unmarshal` on an already parsed source and payload bytes."""
    root = [zero_value(pkg, t)]
    syntax = check_valid(data)
    if syntax is not None:
        keys = pd.DataFrame({c: pd.Series([], dtype="string") for c in _KEY_COLUMNS})
        values = export_value(pkg, t, root[0])
        rows = [
            _finding(
                "critical",
                t.name,
                "syntax_error",
                f"payload is not valid JSON: Go returns {syntax!r} and fills nothing",
                "fix the client's JSON encoder; Go checks the whole body before decoding any field",
            )
        ]
        return UnmarshalResult(values, syntax, keys, findings_frame(rows))
    reason = pkg.decodes_itself(t)
    if reason is not None:
        # the struct decodes itself: Go calls its (own or promoted) method with the whole payload
        u = pkg.under(t)
        values = {f.name: NOT_SIMULATED for f in u.fields if f.exported or f.embedded}
        keys = pd.DataFrame({c: pd.Series([], dtype="string") for c in _KEY_COLUMNS})
        rows = [
            _finding(
                "info",
                t.name,
                "not_simulated",
                f"{reason}: Go hands it the whole payload; its fields are not simulated",
                "check the UnmarshalJSON method itself; the simulator models encoding/json's own rules",
            )
        ]
        return UnmarshalResult(values, None, keys, findings_frame(rows))
    tree = TreeParser(data).value()
    error, key_rows = decode(pkg, tree, t, root)
    _mark_duplicates(key_rows)
    keys = pd.DataFrame([{c: getattr(r, c) for c in _KEY_COLUMNS} for r in key_rows], columns=_KEY_COLUMNS)
    keys = keys.astype({c: "string" for c in _KEY_COLUMNS})
    values = export_value(pkg, t, root[0])
    return UnmarshalResult(values, error, keys, _unmarshal_findings(pkg, t, key_rows, error))


def _mark_duplicates(rows: list[KeyRow]) -> None:
    last: dict[tuple[int, str], KeyRow] = {}
    for r in rows:
        if r.target is None:
            continue
        k = (r.obj, r.target)
        prev = last.get(k)
        if prev is not None and prev.outcome in ("set", "set_nil", "null_ignored", "type_error"):
            prev.outcome = "overwritten_by_later_key"
            prev.explanation = (
                f"a later key {r.key!r} targets the same field; the last one wins (an object "
                "decodes into the existing struct/map/pointer, so their fields merge)"
            )
        last[k] = r


def _finding(severity: str, subject: str, metric: str, evidence: str, recommendation: str) -> dict[str, Any]:
    """One ``simulate_unmarshal`` finding (fault ``serialization``, §2.3, value 1)."""
    return finding(
        "simulate_unmarshal",
        FAULT,
        severity,
        subject,
        metric=metric,
        value=1,
        threshold=None,
        evidence=evidence,
        recommendation=recommendation,
        handbook_ref=HANDBOOK_REF,
    )


def _unmarshal_findings(pkg: Package, t: GoType, rows: list[KeyRow], error: str | None) -> pd.DataFrame:
    out: list[dict[str, Any]] = []
    if error is not None:
        out.append(
            _finding(
                "critical",
                t.name,
                "unmarshal_error",
                f"json.Unmarshal returns: {error}",
                "fix the payload type or the Go field type; the handler should "
                "reject the request with 400 rather than use half-filled values",
            )
        )
    for r in rows:
        subject = f"{t.name}.{r.field}" if r.field else f"{t.name} key {r.key}"
        if r.outcome == "dropped_unknown":
            out.append(
                _finding(
                    "warning",
                    subject,
                    "dropped_key",
                    r.explanation,
                    "rename the key or add a field/tag for it; use Decoder.DisallowUnknownFields to make drops visible",
                )
            )
        elif r.outcome in ("dropped_unexported", "dropped_dash_tag", "ambiguous_embedded", "not_simulated"):
            out.append(
                _finding(
                    "warning",
                    subject,
                    r.outcome,
                    r.explanation,
                    "export the field / fix the tag / resolve the embedding conflict with an explicit tagged field",
                )
            )
        elif r.outcome == "overwritten_by_later_key":
            out.append(
                _finding(
                    "info",
                    subject,
                    "duplicate_key",
                    f"key {r.key!r}: {r.explanation}",
                    "send each key once; keys differing only in case count as duplicates for Go",
                )
            )
        elif r.match == "case_insensitive" and r.outcome == "set":
            out.append(
                _finding(
                    "info",
                    subject,
                    "case_insensitive_match",
                    f"key {r.key!r} filled {r.field} only through Go's case-insensitive fallback",
                    "send the exact tag name; other decoders (and Go's encoding/json/v2) match case-sensitively",
                )
            )
    return findings_frame(out)
