"""encoding/json's field rules: struct tags, ``typeFields`` and key matching (Go 1.19).

* :func:`read_tag` / :func:`tag_get` read a tag the way ``reflect.StructTag`` does;
* :func:`type_fields` ports encoding/json's ``typeFields``: which JSON key
  reaches which (possibly promoted) field, and which names cancel or hide;
* :func:`fold_equal` is Go's case-insensitive key match;
* :func:`drift_hint` spots camelCase/snake_case drift between a key and the names.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from apiprobe.analyze.gojson._gosource import SCALAR_BASIC, GoField, GoType, Package
from apiprobe.analyze.gojson._gotokens import go_unquote
from apiprobe.errors import DataFormatError

# ---------------------------------------------------------------- tags


@dataclass(frozen=True)
class TagParse:
    """Result of reading a struct tag the way reflect.StructTag.Lookup does."""

    pairs: tuple[tuple[str, str], ...]  # key, value for every pair read before a syntax error
    malformed: bool  # a syntax error stopped the scan (the rest of the tag is ignored)
    rest: str  # the unread text at the syntax error


def read_tag(tag: str) -> TagParse:
    """Scan a struct tag with reflect.StructTag.Lookup's grammar (Go 1.19)."""
    pairs: list[tuple[str, str]] = []
    while tag:
        tag = tag.lstrip(" ")
        if not tag:
            break
        i = 0
        while i < len(tag) and tag[i] > " " and tag[i] != ":" and tag[i] != '"' and tag[i] != "\x7f":
            i += 1
        if i == 0 or i + 1 >= len(tag) or tag[i] != ":" or tag[i + 1] != '"':
            return TagParse(tuple(pairs), True, tag)
        name = tag[:i]
        tag = tag[i + 1 :]
        i = 1
        while i < len(tag) and tag[i] != '"':
            if tag[i] == "\\":
                i += 1
            i += 1
        if i >= len(tag):
            return TagParse(tuple(pairs), True, name + ":" + tag)
        qvalue = tag[: i + 1]
        tag = tag[i + 1 :]
        value = go_unquote(qvalue)
        if value is None:
            return TagParse(tuple(pairs), True, name + ":" + qvalue + tag)
        pairs.append((name, value))
    return TagParse(tuple(pairs), False, "")


def tag_get(tag: str | None, key: str) -> str:
    """reflect.StructTag.Get: the value for ``key``, "" when absent or unreadable."""
    if not tag:
        return ""
    for k, v in read_tag(tag).pairs:
        if k == key:
            return v
    return ""


_TAG_PUNCT = set("!#$%&()*+-./:;<=>?@[]^_{|}~ ")


def is_valid_tag_name(s: str) -> bool:
    """encoding/json's isValidTag."""
    if not s:
        return False
    for c in s:
        if c in _TAG_PUNCT:
            continue
        if not (unicodedata.category(c).startswith("L") or unicodedata.category(c) == "Nd"):
            return False
    return True


# ---------------------------------------------------------------- typeFields


@dataclass(frozen=True)
class JField:
    """One JSON-visible field of a struct after encoding/json's embedding rules."""

    name: str  # JSON key
    tagged: bool
    index: tuple[int, ...]
    go_path: tuple[str, ...]  # Go field names along ``index``
    typ: GoType  # field type (a pointer followed when unnamed, as encoding/json does)
    field_type: GoType  # declared field type
    quoted: bool
    omit_empty: bool


@dataclass(frozen=True)
class StructFields:
    """Result of typeFields: the dominant fields in index order, plus what was lost."""

    fields: tuple[JField, ...]
    name_index: dict[str, int]
    conflicts: dict[str, tuple[JField, ...]]  # JSON name -> fields that cancelled each other
    hidden: dict[str, tuple[JField, ...]]  # JSON name -> deeper fields hidden by the dominant one
    #: embedded fields of types not in the source (``metav1.TypeMeta``): the fields they promote are unknown
    opaque: tuple[str, ...] = ()


def struct_fields_of(pkg: Package, t: GoType) -> tuple[GoField, ...]:
    """Fields of the struct type ``t`` (a declared name or an anonymous struct)."""
    u = pkg.under(t)
    if u.kind != "struct":
        raise DataFormatError(f"{pkg.type_string(t)} is not a struct type")
    return u.fields


def _type_key(pkg: Package, t: GoType) -> str:
    return pkg.type_string(t)


def type_fields(pkg: Package, t: GoType) -> StructFields:
    """Port of encoding/json typeFields (Go 1.19)."""
    cache_key = _type_key(pkg, t)
    cache: dict[str, StructFields] = pkg.__dict__.setdefault("_fields_cache", {})
    if cache_key in cache:
        return cache[cache_key]

    @dataclass
    class _Q:
        typ: GoType
        index: tuple[int, ...]
        path: tuple[str, ...]

    current: list[_Q] = []
    nxt: list[_Q] = [_Q(t, (), ())]
    count: dict[str, int] = {}
    next_count: dict[str, int] = {}
    visited: set[str] = set()
    found: list[JField] = []
    opaque: list[str] = []

    while nxt:
        current, nxt = nxt, []
        count, next_count = next_count, {}
        for f in current:
            key = _type_key(pkg, f.typ)
            if key in visited:
                continue
            visited.add(key)
            for i, sf in enumerate(struct_fields_of(pkg, f.typ)):
                if sf.embedded:
                    et = sf.type
                    if et.kind == "ptr":
                        assert et.elem is not None
                        et = et.elem
                    ek = pkg.under(et).kind if et.kind == "named" else et.kind
                    if not sf.exported and ek != "struct":
                        continue
                elif not sf.exported:
                    continue
                tag = tag_get(sf.tag, "json")
                if tag == "-":
                    continue
                name, _, opts = tag.partition(",")
                optset = opts.split(",") if opts else []
                if not is_valid_tag_name(name):
                    name = ""
                index = (*f.index, i)
                path = (*f.path, sf.name)
                ft = sf.type
                if ft.kind == "ptr":
                    assert ft.elem is not None
                    ft = ft.elem
                fu = pkg.under(ft) if ft.kind == "named" else ft
                quoted = "string" in optset and (
                    (fu.kind == "basic" and fu.name in SCALAR_BASIC) or fu.kind == "number"
                )
                if sf.embedded and not name and fu.kind == "unsupported" and "." in fu.name:
                    opaque.append(f"{'.'.join(path)} ({fu.name})")
                if name or not sf.embedded or fu.kind != "struct":
                    jf = JField(name or sf.name, bool(name), index, path, ft, sf.type, quoted, "omitempty" in optset)
                    found.append(jf)
                    if count.get(key, 0) > 1:
                        found.append(jf)
                    continue
                fkey = _type_key(pkg, ft)
                next_count[fkey] = next_count.get(fkey, 0) + 1
                if next_count[fkey] == 1:
                    nxt.append(_Q(ft, index, path))

    found.sort(key=lambda x: (x.name.encode(), len(x.index), not x.tagged, x.index))
    out: list[JField] = []
    conflicts: dict[str, tuple[JField, ...]] = {}
    hidden: dict[str, tuple[JField, ...]] = {}
    i = 0
    while i < len(found):
        name = found[i].name
        j = i + 1
        while j < len(found) and found[j].name == name:
            j += 1
        group = found[i:j]
        if len(group) == 1:
            out.append(group[0])
        elif len(group[0].index) == len(group[1].index) and group[0].tagged == group[1].tagged:
            conflicts[name] = tuple(dict.fromkeys(group))
        else:
            out.append(group[0])
            hidden[name] = tuple(g for g in dict.fromkeys(group[1:]) if g != group[0])
        i = j
    out.sort(key=lambda x: x.index)
    result = StructFields(tuple(out), {f.name: k for k, f in enumerate(out)}, conflicts, hidden, tuple(opaque))
    cache[cache_key] = result
    return result


# ---------------------------------------------------------------- name folding

_KELVIN = "\u212a"
_LONG_S = "\u017f"


def _ascii_fold_eq(a: str, b: str) -> bool:
    return len(a) == len(b) and all(
        x == y or (x.isascii() and x.isalpha() and y.isascii() and x.lower() == y.lower())
        for x, y in zip(a, b, strict=True)
    )


def fold_equal(name: str, key: str) -> bool:
    """encoding/json's foldFunc(name)(name, key): Go's case-insensitive key match.

    ASCII letters match either case; a name containing K/k or S/s also matches
    the Kelvin sign (U+212A) and long s (U+017F) in the key; a non-ASCII name
    uses Unicode simple case folding (approximated with Python's lower/upper).
    """
    if not name.isascii():
        if len(name) != len(key):
            return False
        return all(x == y or x.lower() == y.lower() or x.upper() == y.upper() for x, y in zip(name, key, strict=True))
    if any(c in "KkSs" for c in name):
        if len(name) != len(key):
            return False
        for x, y in zip(name, key, strict=True):
            if y.isascii():
                if x != y and not (x.isalpha() and x.lower() == y.lower()):
                    return False
            elif not ((x in "sS" and y == _LONG_S) or (x in "kK" and y == _KELVIN)):
                return False
        return True
    return _ascii_fold_eq(name, key)


# ---------------------------------------------------------------- naming drift


def norm_name(s: str) -> str:
    """``s`` lower-cased with everything but letters and digits removed (``user_id`` → ``userid``)."""
    return re.sub(r"[^0-9a-z]", "", s.lower())


def drift_hint(key: str, names: Sequence[str]) -> str | None:
    """The first of ``names`` that ``key`` matches up to case and punctuation, or None."""
    nk = norm_name(key)
    if not nk:
        return None
    for n in names:
        if norm_name(n) == nk:
            return n
    return None
