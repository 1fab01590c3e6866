"""The decoder: json.Unmarshal's value rules applied to a parsed payload (Go 1.19).

:func:`decode` walks a :class:`~._scanner.Node` tree into the value model of
:mod:`._values` and records one :class:`KeyRow` per payload key: which field
it reached, how (exact or case-insensitive match), and its outcome.
"""

from __future__ import annotations

import base64
import math
import re
import struct
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from apiprobe.analyze.gojson._fields import JField, drift_hint, fold_equal, struct_fields_of, tag_get, type_fields
from apiprobe.analyze.gojson._gosource import FLOAT_BITS, INT_BITS, UINT_BITS, GoType, Package, go_quote
from apiprobe.analyze.gojson._scanner import Node, unquote
from apiprobe.analyze.gojson._values import NOT_SIMULATED, NUMBER_RE, Ptr, Slice, is_bytes_slice, zero_value


class _AbortError(Exception):
    """An error that makes encoding/json stop decoding at once."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _NotSimulatedError(Exception):
    """A value reaches a type with custom JSON methods or from another package."""


# ====================================================================== decoder

_INT_RE = re.compile(r"-?[0-9]+\Z")
_UINT_RE = re.compile(r"[0-9]+\Z")
_FLOAT_RE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_INF_RE = re.compile(r"[+-]?(?:inf|infinity)\Z", re.IGNORECASE)


def _parse_float(s: str, bits: int) -> float | None:
    """strconv.ParseFloat(s, bits) for decimal and inf forms; None on error (syntax or range)."""
    if _INF_RE.match(s):
        return -math.inf if s.startswith("-") else math.inf
    if not _FLOAT_RE.match(s):
        return None
    f = float(s)
    if math.isinf(f):
        return None
    if bits == 32:
        try:
            f = struct.unpack("f", struct.pack("f", f))[0]
        except OverflowError:
            return None
        if math.isinf(f):
            return None
    return f


@dataclass
class KeyRow:
    """The fate of one payload key: its path, the field it reached, its outcome and why."""

    key: str
    field: str | None
    go_type: str | None
    outcome: str
    explanation: str
    match: str | None = None
    obj: int = -1
    target: str | None = None
    pid: int = 0
    errors: list[str] = dc_field(default_factory=list)


class _Decoder:
    """Port of encoding/json's decodeState over a parsed tree."""

    def __init__(self, pkg: Package) -> None:
        self.pkg = pkg
        self.saved: str | None = None
        self.stack: list[str] = []
        self.struct_t: GoType | None = None
        self.rows: list[KeyRow] = []
        self.current: KeyRow | None = None
        self.obj_counter = 0
        self.entered: set[int] = set()
        self.prefix = ""  # payload path of the value being decoded
        self.fprefix = ""  # Go field path of the value being decoded

    # -- errors
    def ts(self, t: GoType) -> str:
        return self.pkg.type_string(t)

    def save(self, message: str) -> None:
        if self.current is not None:
            self.current.errors.append(message)
        if self.saved is None:
            self.saved = message

    def type_error(self, value: str, t: GoType) -> None:
        ts = self.ts(t)
        if self.struct_t is not None or self.stack:
            st = self.struct_t
            sname = ""
            if st is not None and st.kind == "named":
                # reflect's Name(): Page[int], Pair[string,main.Item] for an instantiated generic type
                args = ",".join(self.ts(a) for a in st.args)
                sname = f"{st.name}[{args}]" if st.args else st.name
            msg = f"json: cannot unmarshal {value} into Go struct field {sname}.{'.'.join(self.stack)} of type {ts}"
        else:
            msg = f"json: cannot unmarshal {value} into Go value of type {ts}"
        self.save(msg)

    def invalid_use(self, item: str, t: GoType) -> str:
        return f"json: invalid use of ,string struct tag, trying to unmarshal {go_quote(item)} into {self.ts(t)}"

    # -- pointers
    def check_simulated(self, t: GoType) -> None:
        if t.kind == "unsupported":
            raise _NotSimulatedError(f"{self.ts(t)} is not declared in the source (another package or kind)")
        if t.kind in ("named", "struct"):
            reason = self.pkg.decodes_itself(t)
            if reason is not None:
                raise _NotSimulatedError(reason)

    def indirect(
        self, t: GoType, cell: list[Any] | dict[Any, Any], key: Any, decoding_null: bool
    ) -> tuple[GoType, Any, Any]:
        while True:
            self.check_simulated(t)
            u = self.pkg.under(t)
            if u.kind != "ptr":
                return t, cell, key
            if decoding_null:
                return t, cell, key
            assert u.elem is not None
            if cell[key] is None:
                cell[key] = Ptr([zero_value(self.pkg, u.elem)])
            cell, key, t = cell[key], 0, u.elem

    # -- values
    def value(self, node: Node, t: GoType | None, cell: Any, key: Any) -> None:
        if t is None:
            return
        if node.kind == "arr":
            self.array(node, t, cell, key)
        elif node.kind == "obj":
            self.object(node, t, cell, key)
        else:
            self.literal(node, t, cell, key, False)

    def generic(self, node: Node) -> Any:
        if node.kind == "obj":
            return {k: self.generic(v) for k, v in node.value}
        if node.kind == "arr":
            return [self.generic(v) for v in node.value]
        if node.kind == "str":
            return node.value
        if node.kind == "num":
            f = _parse_float(node.value, 64)
            if f is None:
                self.type_error("number " + node.value, GoType("basic", "float64"))
            return f
        return {"true": True, "false": False, "null": None}[node.kind]

    def enter(self, node: Node, t: GoType, cell: Any, key: Any) -> tuple[GoType, Any, Any, GoType] | None:
        """Follow pointers to where an array/object goes; store it whole into RawMessage/interface{}.

        Returns ``(type, cell, key, underlying type)`` to decode into, or None when already stored.
        """
        t, cell, key = self.indirect(t, cell, key, False)
        u = self.pkg.under(t)
        if u.kind == "raw":
            cell[key] = node.raw
            return None
        if u.kind == "iface" and not u.methods:
            cell[key] = self.generic(node)
            return None
        return t, cell, key, u

    def array(self, node: Node, t: GoType, cell: Any, key: Any) -> None:
        entered = self.enter(node, t, cell, key)
        if entered is None:
            return
        t, cell, key, u = entered
        if u.kind not in ("array", "slice"):
            self.type_error("array", t)
            return
        assert u.elem is not None
        items: list[Node] = node.value
        if u.kind == "array":
            arr = cell[key]
            base_k, base_f = self.prefix, self.fprefix
            for i, item in enumerate(items):
                self.prefix, self.fprefix = f"{base_k}[{i}]", f"{base_f}[{i}]"
                if i < len(arr):
                    self.value(item, u.elem, arr, i)
            self.prefix, self.fprefix = base_k, base_f
            for i in range(len(items), len(arr)):
                arr[i] = zero_value(self.pkg, u.elem)
            return
        sl = cell[key]
        if isinstance(sl, bytes):  # a []byte set earlier from a base64 string
            sl = Slice(list(sl), len(sl))
            cell[key] = sl
        base_k, base_f = self.prefix, self.fprefix
        for i, item in enumerate(items):
            self.prefix, self.fprefix = f"{base_k}[{i}]", f"{base_f}[{i}]"
            if sl is None:
                sl = Slice([], 0)
                cell[key] = sl
            if i >= len(sl.backing):
                newcap = max(len(sl.backing) + len(sl.backing) // 2, 4)
                backing = sl.backing[: sl.length] + [zero_value(self.pkg, u.elem) for _ in range(newcap - sl.length)]
                sl.backing = backing
            if i >= sl.length:
                sl.length = i + 1
            self.value(item, u.elem, sl.backing, i)
        self.prefix, self.fprefix = base_k, base_f
        if sl is not None and len(items) < sl.length:
            sl.length = len(items)
        if not items:
            cell[key] = Slice([], 0)

    def object(self, node: Node, t: GoType, cell: Any, key: Any) -> None:
        entered = self.enter(node, t, cell, key)
        if entered is None:
            return
        t, cell, key, u = entered
        fields = None
        if u.kind == "map":
            assert u.key is not None and u.elem is not None
            ku = self.pkg.under(u.key)
            if not (ku.kind == "basic" and (ku.name == "string" or ku.name in INT_BITS or ku.name in UINT_BITS)):
                self.type_error("object", t)
                return
            if cell[key] is None:
                cell[key] = {}
        elif u.kind == "struct":
            fields = type_fields(self.pkg, t)
        else:
            self.type_error("object", t)
            return
        self.obj_counter += 1
        obj_id = self.obj_counter
        self.entered.add(id(node))
        target = cell[key]
        orig_stack, orig_struct = len(self.stack), self.struct_t
        parent_row = self.current
        base_k, base_f = self.prefix, self.fprefix
        for name, sub in node.value:
            path = name if not base_k else f"{base_k}.{name}"
            row = KeyRow(path, None, None, "set", "", obj=obj_id, pid=sub.pid)
            self.rows.append(row)
            self.current = row
            self.prefix = path
            try:
                if fields is None:
                    self.map_entry(u, t, target, name, sub, row, base_f)
                else:
                    self.struct_entry(fields, t, target, name, sub, row, base_f)
            finally:
                self.current = parent_row
                self.prefix, self.fprefix = base_k, base_f
                del self.stack[orig_stack:]
                self.struct_t = orig_struct

    def map_entry(
        self, u: GoType, t: GoType, target: dict[Any, Any], name: str, sub: Node, row: KeyRow, base_f: str
    ) -> None:
        assert u.key is not None and u.elem is not None
        row.field = f"{base_f or 'map'}[{name}]"
        self.fprefix = row.field
        row.go_type = self.ts(u.elem)
        row.target = f"{id(target)}:{name}"
        tmp = [zero_value(self.pkg, u.elem)]
        self.value(sub, u.elem, tmp, 0)
        ku = self.pkg.under(u.key)
        k: Any = name
        if ku.name != "string":
            ok = (_INT_RE.match(name) if ku.name in INT_BITS else _UINT_RE.match(name)) is not None
            if ok:
                k = int(name)
                bits = INT_BITS.get(ku.name) or UINT_BITS[ku.name]
                ok = (-(1 << (bits - 1)) <= k < (1 << (bits - 1))) if ku.name in INT_BITS else k < (1 << bits)
                if ok and ku.name in INT_BITS and not -(1 << 63) <= k < (1 << 63):
                    ok = False
            if not ok:
                self.type_error("number " + name, u.key)
                row.outcome = "type_error"
                row.explanation = f"map key {name!r} is not a valid {self.ts(u.key)}: entry not stored"
                return
        target[k] = tmp[0]
        self.finish_row(row, sub, u.elem, "map entry")

    def struct_entry(
        self, fields: Any, t: GoType, target: dict[str, Any], name: str, sub: Node, row: KeyRow, base_f: str
    ) -> None:
        f: JField | None = None
        match = "exact"
        if name in fields.name_index:
            f = fields.fields[fields.name_index[name]]
        else:
            for ff in fields.fields:
                if fold_equal(ff.name, name):
                    f = ff
                    match = "case_insensitive"
                    break
        if f is None:
            self.explain_drop(t, fields, name, row)
            return
        row.field = (base_f + "." if base_f else "") + ".".join(f.go_path)
        self.fprefix = row.field
        row.go_type = self.ts(f.field_type)
        row.match = match
        row.target = f"{id(target)}:{'.'.join(map(str, f.index))}"
        # walk the index path, allocating embedded pointers
        cur_t, cur = t, target
        cell: Any = None
        ckey: Any = None
        for depth, i in enumerate(f.index):
            sf = struct_fields_of(self.pkg, cur_t)[i]
            cell, ckey = cur, sf.name
            if depth == len(f.index) - 1:
                break
            ft = sf.type
            if self.pkg.under(ft).kind == "ptr":
                assert ft.kind == "ptr" and ft.elem is not None
                if cur[sf.name] is None:
                    if not sf.exported:
                        self.save(f"json: cannot set embedded pointer to unexported struct: {self.ts(ft.elem)}")
                        row.outcome = "type_error"
                        row.explanation = (
                            f"the key reaches a field promoted through the nil embedded pointer "
                            f"*{sf.name}, which Go cannot allocate because it is unexported"
                        )
                        return
                    cur[sf.name] = Ptr([zero_value(self.pkg, ft.elem)])
                cur = cur[sf.name][0]
                cur_t = ft.elem
            else:
                cur = cur[sf.name]
                cur_t = ft
        self.stack.append(f.name)
        self.struct_t = t
        before = len(row.errors)
        first_inner = len(self.rows)
        try:
            if f.quoted:
                self.destring(sub, f.field_type, cell, ckey)
            else:
                self.value(sub, f.field_type, cell, ckey)
        except _NotSimulatedError as exc:
            row.outcome = "not_simulated"
            row.explanation = f"{exc}: its decoding is not simulated (its value is NA)"
            for inner in self.rows[first_inner:]:  # keys inside it: Go hands them to the method too
                inner.outcome, inner.explanation = "not_simulated", f"inside {row.key!r}: {row.explanation}"
            cell[ckey] = NOT_SIMULATED  # Go fills it: never show a zero Go would not leave
            return
        except _AbortError as exc:
            row.outcome = "type_error"
            row.errors.append(exc.message)
            row.explanation = f"fatal: {exc.message} — Unmarshal stops here, later keys are not decoded"
            raise
        how = "" if match == "exact" else f" (matched {f.name!r} case-insensitively)"
        via = f" via embedded {'.'.join(f.go_path[:-1])}" if len(f.go_path) > 1 else ""
        if len(row.errors) > before:
            row.outcome = "type_error"
            row.explanation = f"{row.errors[before]}; field keeps its previous value{how}"
            return
        self.finish_row(row, sub, f.field_type, f"field {'.'.join(f.go_path)}{via}{how}")

    def finish_row(self, row: KeyRow, sub: Node, t: GoType, what: str) -> None:
        if row.errors:
            row.outcome = "type_error"
            row.explanation = f"{row.errors[0]}; value not stored"
            return
        u = self.pkg.under(t)
        if sub.kind == "null":
            if u.kind in ("ptr", "map", "slice", "iface"):
                row.outcome = "set_nil"
                row.explanation = f"null resets {what} to nil"
            elif u.kind == "raw":
                row.explanation = f"json.RawMessage {what} receives the text null"
            else:
                row.outcome = "null_ignored"
                row.explanation = f"null leaves {what} unchanged (no error)"
            return
        row.explanation = f"stored in {what}"

    def explain_drop(self, t: GoType, fields: Any, name: str, row: KeyRow) -> None:
        u = self.pkg.under(t)
        for cname, group in fields.conflicts.items():
            if cname == name or fold_equal(cname, name):
                row.outcome = "ambiguous_embedded"
                paths = ", ".join(".".join(g.go_path) for g in group)
                row.explanation = (
                    f"key {name!r} is claimed by {paths} at the same embedding depth: Go cancels "
                    "them and drops the key silently"
                )
                return
        for f in u.fields:
            tag = tag_get(f.tag, "json")
            tname = tag.partition(",")[0]
            if f.exported and tag == "-" and fold_equal(f.name, name):
                row.outcome = "dropped_dash_tag"
                row.explanation = f'field {f.name} is tagged json:"-": Go never decodes into it'
                return
            if not f.exported and not f.embedded and (fold_equal(f.name, name) or (tname and fold_equal(tname, name))):
                row.outcome = "dropped_unexported"
                row.explanation = f"field {f.name} is unexported: encoding/json ignores it, tag or not"
                return
        if fields.opaque:
            row.outcome = "not_simulated"
            row.explanation = (
                f"no declared field takes key {name!r}, but it may be a field promoted from embedded "
                f"{', '.join(fields.opaque)}, a type not in the source: not simulated"
            )
            return
        row.outcome = "dropped_unknown"
        hint = drift_hint(name, [ff.name for ff in fields.fields])
        row.explanation = f"no field takes key {name!r} (not even case-insensitively): silently dropped" + (
            f"; did you mean {hint!r}? (camelCase/snake_case drift)" if hint else ""
        )

    def destring(self, sub: Node, t: GoType, cell: Any, key: Any) -> None:
        if sub.kind in ("arr", "obj"):
            self.save(f"json: invalid use of ,string struct tag, trying to unmarshal unquoted value into {self.ts(t)}")
            return
        if sub.kind == "null":
            self.literal(sub, t, cell, key, False)
        elif sub.kind == "str":
            self.literal_store(sub.value, None, t, cell, key, True)
        else:
            if sub.kind == "num" and _parse_float(sub.value, 64) is None:
                self.type_error("number " + sub.value, GoType("basic", "float64"))
            self.save(f"json: invalid use of ,string struct tag, trying to unmarshal unquoted value into {self.ts(t)}")

    def literal(self, node: Node, t: GoType, cell: Any, key: Any, from_quoted: bool) -> None:
        if node.kind == "str":
            self.literal_store('"', node.value, t, cell, key, from_quoted, raw=node.raw)
        else:
            self.literal_store(node.value, None, t, cell, key, from_quoted, raw=node.raw)

    def literal_store(
        self, item: str, sval: str | None, t: GoType, cell: Any, key: Any, from_quoted: bool, raw: bytes | None = None
    ) -> None:
        if not item:
            self.save(self.invalid_use(item, t))
            return
        is_null = item[0] == "n"
        t, cell, key = self.indirect(t, cell, key, is_null)
        u = self.pkg.under(t)
        if u.kind == "raw":
            cell[key] = raw if raw is not None else item.encode()
            return
        c = item[0]
        if c == "n":
            if from_quoted and item != "null":
                self.save(self.invalid_use(item, t))
                return
            if u.kind in ("iface", "ptr", "map", "slice"):
                cell[key] = None
            return
        if c in "tf":
            if from_quoted and item not in ("true", "false"):
                self.save(self.invalid_use(item, t))
                return
            b = c == "t"
            if (u.kind == "basic" and u.name == "bool") or (u.kind == "iface" and not u.methods):
                cell[key] = b
            elif from_quoted:
                self.save(self.invalid_use(item, t))
            else:
                self.type_error("bool", t)
            return
        if c == '"':
            if sval is None:  # from a ,string value: unquote it again
                sval, ok = unquote(item.encode("utf-8", "surrogatepass"))
                if not ok:
                    raise _AbortError(self.invalid_use(item, t))
            if is_bytes_slice(self.pkg, u):
                decoded = _b64decode(sval)
                if isinstance(decoded, str):
                    self.save(decoded)
                else:
                    cell[key] = decoded
            elif u.kind == "basic" and u.name == "string":
                cell[key] = sval
            elif u.kind == "number":
                if not NUMBER_RE.match(sval):
                    quoted_item = raw.decode("utf-8", "replace") if raw is not None else item
                    raise _AbortError(
                        f"json: invalid number literal, trying to unmarshal {go_quote(quoted_item)} into Number"
                    )
                cell[key] = sval
            elif u.kind == "iface" and not u.methods:
                cell[key] = sval
            else:
                self.type_error("string", t)
            return
        if c != "-" and not c.isdigit():
            raise _AbortError(self.invalid_use(item, t))
        s = item
        if u.kind == "iface":
            f = _parse_float(s, 64)
            if f is None:
                self.type_error("number " + s, GoType("basic", "float64"))
                return
            if u.methods:
                self.type_error("number", t)
                return
            cell[key] = f
        elif u.kind == "basic" and u.name in INT_BITS:
            bits = INT_BITS[u.name]
            n = (
                int(s) if _INT_RE.match(s) and len(s) <= 21 else None
            )  # longer cannot fit (and passes int()'s digit limit)
            if n is None or not -(1 << (bits - 1)) <= n < (1 << (bits - 1)):
                self.type_error("number " + s, t)
                return
            cell[key] = n
        elif u.kind == "basic" and u.name in UINT_BITS:
            bits = UINT_BITS[u.name]
            n = int(s) if _UINT_RE.match(s) and len(s) <= 21 else None
            if n is None or n >= (1 << bits):
                self.type_error("number " + s, t)
                return
            cell[key] = n
        elif u.kind == "basic" and u.name in FLOAT_BITS:
            f = _parse_float(s, FLOAT_BITS[u.name])
            if f is None:
                self.type_error("number " + s, t)
                return
            cell[key] = f
        elif u.kind == "number":
            cell[key] = s
        elif from_quoted:
            raise _AbortError(self.invalid_use(item, t))
        else:
            self.type_error("number", t)


_B64_RE = re.compile(r"[A-Za-z0-9+/]*={0,2}\Z")


def _b64decode(s: str) -> bytes | str:
    """base64.StdEncoding.Decode (newlines ignored); an error message on bad input."""
    clean = s.replace("\r", "").replace("\n", "")
    if _B64_RE.match(clean) and len(clean) % 4 == 0:
        try:
            return base64.b64decode(clean, validate=True)
        except ValueError:
            pass
    pos = 0
    for i, ch in enumerate(clean):
        if not (ch.isascii() and (ch.isalnum() or ch in "+/")):
            pos = i
            break
    else:
        pos = len(clean) - len(clean) % 4 if len(clean) % 4 else len(clean)
    return f"illegal base64 data at input byte {pos}"


def _mark_not_reached(dec: _Decoder, tree: Node) -> None:
    seen = {r.pid for r in dec.rows}

    def walk(node: Node, prefix: str) -> None:
        if node.kind == "obj":
            for k, v in node.value:
                path = f"{prefix}.{k}" if prefix else k
                if id(node) in dec.entered and v.pid not in seen:
                    dec.rows.append(
                        KeyRow(
                            path,
                            None,
                            None,
                            "not_reached",
                            "Unmarshal returned at an earlier fatal error before reaching this key",
                            pid=v.pid,
                        )
                    )
                walk(v, path)
        elif node.kind == "arr":
            for i, v in enumerate(node.value):
                walk(v, f"{prefix}[{i}]")

    walk(tree, "")


def decode(pkg: Package, tree: Node, t: GoType, root: list[Any]) -> tuple[str | None, list[KeyRow]]:
    """Decode ``tree`` into ``root[0]``, a value of type ``t``, the way json.Unmarshal does.

    Returns the error Unmarshal returns (Go's wording, None when it succeeds)
    and one row per payload key; after a fatal error the keys never reached
    get outcome ``not_reached``.
    """
    dec = _Decoder(pkg)
    error: str | None
    try:
        dec.value(tree, t, root, 0)
        error = dec.saved
    except _AbortError as exc:
        error = exc.message
        _mark_not_reached(dec, tree)
    except _NotSimulatedError:
        error = dec.saved
    return error, dec.rows
