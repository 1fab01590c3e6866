"""Struct-tag and payload audits: :func:`audit_struct_tags` and :func:`audit_payloads`."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import pandas as pd

from apiprobe.analyze._findings import finding, findings_frame
from apiprobe.analyze.gojson._decode import FAULT, HANDBOOK_REF, unmarshal
from apiprobe.analyze.gojson._fields import drift_hint, is_valid_tag_name, norm_name, read_tag, tag_get, type_fields
from apiprobe.analyze.gojson._gosource import SCALAR_BASIC, GoField, GoType, Package, load_struct, parse_package
from apiprobe.analyze.gojson._scanner import as_bytes
from apiprobe.analyze.gojson._values import is_struct
from apiprobe.errors import DataFormatError, InvalidParameterError

__all__ = ["audit_payloads", "audit_struct_tags"]

_OPTIONS = {"omitempty", "string"}


def _walk_structs(pkg: Package) -> Iterator[tuple[str, GoType, tuple[GoField, ...]]]:
    for name, s in pkg.structs.items():
        yield name, GoType("named", name), s.fields

        def nested(prefix: str, fields: tuple[GoField, ...]) -> Iterator[tuple[str, GoType, tuple[GoField, ...]]]:
            for f in fields:
                ft = f.type
                while ft.kind in ("ptr", "slice", "array", "map") and ft.elem is not None:
                    ft = ft.elem
                if ft.kind == "struct":
                    yield f"{prefix}.{f.name}", ft, ft.fields
                    yield from nested(f"{prefix}.{f.name}", ft.fields)

        yield from nested(name, s.fields)


def audit_struct_tags(go_source: str) -> pd.DataFrame:
    """Struct-tag traps in Go source, each with the fix (findings, §2.3).

    Reported: ``json:""`` (does not hide the field: Go uses the field name),
    malformed tags and misspelled keys (``json:sku``, ``jsn:"x"``: ignored),
    leading/trailing spaces and invalid characters in names, unknown options,
    duplicate JSON names and names differing only in case, tags on unexported
    fields, ``omitempty`` on struct values (never omitted), ``,string`` on
    non-scalar fields (ignored), ``json:"-,"`` (key "-", not hidden), and
    embedding conflicts (equal-depth names cancel, deeper ones are hidden).

    Parameters
    ----------
    go_source : str
        Go source text.

    Returns
    -------
    pandas.DataFrame
        A findings table (fault ``serialization``, handbook_ref ``§2.3``).

    Raises
    ------
    DataFormatError
        When the source cannot be parsed; the message names the line.
    """
    pkg = parse_package(go_source)
    rows: list[dict[str, Any]] = []
    det = "audit_struct_tags"

    def add(sev: str, subject: str, metric: str, evidence: str, fix: str, line: int | None = None) -> None:
        rows.append(
            finding(
                det,
                FAULT,
                sev,
                subject,
                metric=metric,
                value=line,
                threshold=None,
                evidence=evidence + (f" (line {line})" if line else ""),
                recommendation=fix,
                handbook_ref=HANDBOOK_REF,
            )
        )

    for sname, st, fields in _walk_structs(pkg):
        names: dict[str, list[str]] = {}
        for f in fields:
            subj = f"{sname}.{f.name}"
            if f.tag is None:
                if f.exported:
                    names.setdefault(f.name, []).append(f.name)
                continue
            parsed = read_tag(f.tag)
            keys = [k for k, _ in parsed.pairs]
            if parsed.malformed:
                add(
                    "warning",
                    subj,
                    "malformed_tag",
                    f'tag `{f.tag}` is not key:"value" syntax from {parsed.rest!r} on: reflect ignores the rest, '
                    f"so encoding/json uses the field name {f.name!r}",
                    'write it as json:"name" (quoted value, no space after the colon)',
                    f.line,
                )
            for k in keys:
                if k != "json" and _near(k.lower(), "json"):
                    add(
                        "warning",
                        subj,
                        "misspelled_tag_key",
                        f"tag key {k!r} is not 'json': encoding/json ignores it and uses {f.name!r}",
                        'rename the key to json:"..."',
                        f.line,
                    )
            if "json" not in keys:
                if f.exported:
                    names.setdefault(f.name, []).append(f.name)
                continue
            tag = tag_get(f.tag, "json")
            name, _, opts = tag.partition(",")
            optlist = [o for o in opts.split(",") if o] if opts else []
            if not f.exported and not f.embedded:
                add(
                    "warning",
                    subj,
                    "tag_on_unexported",
                    f"field {f.name} is unexported: its json tag {tag!r} has no effect, Go never encodes or decodes it",
                    f"export it ({f.name[:1].upper() + f.name[1:]}) to use it in JSON",
                    f.line,
                )
                continue
            if tag == "-":
                continue
            if tag == "-,":
                add(
                    "info",
                    subj,
                    "dash_comma",
                    'json:"-," does not hide the field: it uses the key "-"',
                    'use json:"-" to hide the field',
                    f.line,
                )
            if tag == "":
                add(
                    "warning",
                    subj,
                    "empty_tag_name",
                    f'json:"" does not hide {f.name} (the handbook is wrong here): Go uses the field name '
                    f"{f.name!r}, matched case-insensitively when decoding",
                    f'use json:"-" to hide it, or give the intended key json:"{_snake(f.name)}"',
                    f.line,
                )
            if name and not is_valid_tag_name(name):
                add(
                    "warning",
                    subj,
                    "invalid_tag_name",
                    f"tag name {name!r} has characters Go does not accept: it is ignored and the key is {f.name!r}",
                    "use letters, digits and ordinary punctuation only",
                    f.line,
                )
            elif name != name.strip():
                add(
                    "warning",
                    subj,
                    "space_in_tag_name",
                    f"tag name {name!r} has leading/trailing spaces: Go uses it literally, so the key "
                    f"{name.strip()!r} does not match",
                    f'write json:"{name.strip()}"',
                    f.line,
                )
            for o in optlist:
                if o not in _OPTIONS:
                    add(
                        "warning",
                        subj,
                        "unknown_tag_option",
                        f"option {o!r} is not an encoding/json option: ignored",
                        "valid options are omitempty and string"
                        + (" (spelled omitempty)" if _near(o.lower(), "omitempty") else ""),
                        f.line,
                    )
            ft = f.type
            fu: GoType
            try:
                fu = pkg.under(ft.elem if ft.kind == "ptr" and ft.elem is not None else ft)
            except DataFormatError:
                fu = GoType("unsupported", "?")
            if (
                "omitempty" in optlist
                and ft.kind != "ptr"
                and (fu.kind == "struct" or (fu.kind == "array" and (fu.length or 0) > 0))
            ):
                add(
                    "warning",
                    subj,
                    "omitempty_struct",
                    f"omitempty never omits {f.name}: a struct (or non-empty array) value is never 'empty' to "
                    "encoding/json",
                    f"make it a pointer (*{pkg.type_string(ft)}) or drop omitempty",
                    f.line,
                )
            if "string" in optlist and not ((fu.kind == "basic" and fu.name in SCALAR_BASIC) or fu.kind == "number"):
                add(
                    "warning",
                    subj,
                    "string_option_ignored",
                    f",string only applies to strings, numbers and bools: ignored on {f.name} ({pkg.type_string(ft)})",
                    "drop ,string",
                    f.line,
                )
            key = name if is_valid_tag_name(name) else f.name
            if not (f.embedded and not name and is_struct(pkg, f.type)):
                names.setdefault(key, []).append(f.name)
        # duplicates and case-only differences at the top level of this struct
        for key, owners in names.items():
            if len(owners) > 1:
                add(
                    "critical",
                    f"{sname}.{owners[0]}",
                    "duplicate_json_name",
                    f"fields {', '.join(owners)} all use the JSON key {key!r}: Go cancels them, neither is "
                    "decoded nor encoded",
                    "give each field its own key (go vet's structtag check flags this)",
                )
        folded: dict[str, list[str]] = {}
        for key in names:
            folded.setdefault(key.lower(), []).append(key)
        for group in folded.values():
            if len(group) > 1:
                add(
                    "warning",
                    f"{sname}.{names[group[0]][0]}",
                    "case_only_difference",
                    f"JSON keys {', '.join(repr(g) for g in group)} differ only in case: a key in any other "
                    "casing fills whichever comes first in the struct",
                    "rename one of them",
                )
        if st.kind == "named":
            try:
                tf = type_fields(pkg, st)
            except DataFormatError:
                continue
            for key, conflicting in tf.conflicts.items():
                paths = ", ".join(".".join(g.go_path) for g in conflicting)
                if all(len(g.index) == 1 for g in conflicting):
                    continue  # already reported as duplicate_json_name
                add(
                    "warning",
                    f"{sname}.{key}",
                    "embedding_conflict",
                    f"key {key!r} is promoted from {paths} at the same depth: Go cancels them, the key is "
                    "silently dropped when decoding and missing when encoding",
                    "add an explicit field (or tag) for it in the outer struct",
                )
            for key, hidden_fields in tf.hidden.items():
                winner = tf.fields[tf.name_index[key]]
                add(
                    "info",
                    f"{sname}.{key}",
                    "embedding_shadowed",
                    f"key {key!r} goes to {'.'.join(winner.go_path)}; "
                    f"{', '.join('.'.join(h.go_path) for h in hidden_fields)} is hidden (shallower or tagged wins)",
                    "rename or tag the hidden field if it should receive data",
                )
    return findings_frame(rows)


def _near(a: str, b: str) -> bool:
    """Edit distance of at most 2 (and not equal): likely misspelling."""
    if a == b or abs(len(a) - len(b)) > 2:
        return False
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1] <= 2


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def audit_payloads(
    go_source: str, struct_name: str, payloads: Iterable[str | bytes | Mapping[str, Any]] | pd.Series
) -> pd.DataFrame:
    """How often each payload key lands, is dropped or mistyped, over many payloads.

    Parameters
    ----------
    go_source : str
        Go source declaring ``struct_name``.
    struct_name : str
        The struct the handler decodes into.
    payloads : iterable of str, bytes or mapping, or pandas.Series
        Raw JSON texts (str/bytes) or already-decoded dicts (re-encoded with
        :func:`json.dumps`, so duplicate keys are lost), as a list or Series.

    Returns
    -------
    pandas.DataFrame
        One row per key path (array indices written ``[]``), then one per JSON
        field never filled; sorted by ``never_filled`` then ``key``. Columns:

        * ``key`` (string): payload key path, or the JSON name of a never-filled field;
        * ``field`` (string): Go field path it reaches, NA when none;
        * ``payloads`` (int64): how many payloads were simulated;
        * ``seen`` (int64): occurrences of the key over all payloads;
        * ``set``, ``dropped``, ``mistyped``, ``null``, ``other`` (int64):
          occurrences stored, dropped (unknown, unexported, ``-``, ambiguous),
          type errors, nulls, and not reached / not simulated;
        * ``share_set`` (float64): ``set / seen`` (0–1), NaN when never seen;
        * ``never_filled`` (boolean): True for a field no payload filled;
        * ``outcomes`` (string): counts by outcome, ``"set=3, type_error=1"``;
        * ``suggestion`` (string): camelCase/snake_case drift hint (payload
          ``user_id`` vs tag ``userId``), NA when none.

        ``attrs["payloads_with_error"]`` counts the payloads for which
        Unmarshal returns an error; ``attrs["payloads_without_body"]`` the
        missing ones (None/NA: requests without a body), which are skipped.

    Raises
    ------
    DataFormatError
        When the Go source cannot be parsed (the line is named).
    InvalidParameterError
        When ``struct_name`` is not a struct type of the source (the ones found are listed).
    """
    pkg, t = load_struct(go_source, struct_name)
    data: list[bytes] = []
    no_body = 0
    for p in payloads.tolist() if isinstance(payloads, pd.Series) else payloads:
        if p is None or (not isinstance(p, (str, bytes, bytearray, Mapping)) and pd.isna(p)):
            no_body += 1  # a request without a body (GET): nothing for Unmarshal to see
            continue
        if isinstance(p, Mapping):
            data.append(json.dumps(p).encode())
        elif isinstance(p, (str, bytes, bytearray)):
            data.append(as_bytes(p))
        else:
            raise InvalidParameterError(
                f"payloads: expected JSON text, bytes or dicts, got a {type(p).__name__} ({p!r:.60})"
            )
    per_key: dict[str, Counter[str]] = {}
    fields_of: dict[str, str] = {}
    filled: set[str] = set()
    errors = 0
    for d in data:
        try:
            res = unmarshal(pkg, t, d)
        except RecursionError as exc:
            raise DataFormatError(
                f"{struct_name}: a payload nests too deeply to simulate (thousands of levels)"
            ) from exc
        errors += res.error is not None
        for r in res.keys.itertuples(index=False):
            key = re.sub(r"\[\d+\]", "[]", str(r.key))
            per_key.setdefault(key, Counter())[str(r.outcome)] += 1
            if isinstance(r.field, str):
                fpath = re.sub(r"\[[^\]]*\]", "[]", r.field)
                fields_of.setdefault(key, fpath)
                if r.outcome in ("set", "overwritten_by_later_key"):
                    filled.add(fpath)
    tf = type_fields(pkg, t)
    names = [f.name for f in tf.fields]
    out: list[dict[str, Any]] = []
    for key, c in per_key.items():
        seen = sum(c.values())
        leaf = key.rsplit(".", 1)[-1].replace("[]", "")
        suggestion = None
        if c["dropped_unknown"]:
            hint = drift_hint(leaf, names)
            if hint:
                suggestion = f"payload key {leaf!r} vs JSON name {hint!r}: naming drift (camelCase/snake_case)"
        out.append(
            {
                "key": key,
                "field": fields_of.get(key),
                "payloads": len(data),
                "seen": seen,
                "set": c["set"] + c["overwritten_by_later_key"],
                "dropped": sum(v for k, v in c.items() if k.startswith("dropped") or k == "ambiguous_embedded"),
                "mistyped": c["type_error"],
                "null": c["null_ignored"] + c["set_nil"],
                "other": c["not_reached"] + c["not_simulated"],
                "never_filled": False,
                "outcomes": ", ".join(f"{k}={v}" for k, v in sorted(c.items())),
                "suggestion": suggestion,
            }
        )
    for jf in tf.fields:
        path = ".".join(jf.go_path)
        if path not in filled:
            payload_keys = [
                k
                for k, c in per_key.items()
                if c["dropped_unknown"] and norm_name(k.rsplit(".", 1)[-1]) == norm_name(jf.name)
            ]
            out.append(
                {
                    "key": jf.name,
                    "field": path,
                    "payloads": len(data),
                    "seen": 0,
                    "set": 0,
                    "dropped": 0,
                    "mistyped": 0,
                    "null": 0,
                    "other": 0,
                    "never_filled": True,
                    "outcomes": "",
                    "suggestion": (
                        f"never filled; payloads send {', '.join(map(repr, payload_keys))} instead (naming drift)"
                        if payload_keys
                        else "never filled by any payload"
                    ),
                }
            )
    df = pd.DataFrame(
        out,
        columns=[
            "key",
            "field",
            "payloads",
            "seen",
            "set",
            "dropped",
            "mistyped",
            "null",
            "other",
            "never_filled",
            "outcomes",
            "suggestion",
        ],
    )
    df = df.astype(
        {"key": "string", "field": "string", "outcomes": "string", "suggestion": "string", "never_filled": "boolean"}
    )
    for col in ("payloads", "seen", "set", "dropped", "mistyped", "null", "other"):
        df[col] = df[col].astype("int64")
    df.insert(
        list(df.columns).index("never_filled"),
        "share_set",
        (df["set"] / df["seen"].where(df["seen"] > 0)).astype("float64"),
    )
    df.attrs["payloads_with_error"] = errors
    df.attrs["payloads_without_body"] = no_body
    return df.sort_values(["never_filled", "key"], kind="stable").reset_index(drop=True)
