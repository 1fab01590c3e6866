"""Go source → :class:`GoStruct` / :class:`GoField` / :class:`GoType`.

Only what the simulator needs: top-level ``type`` declarations (struct types,
named basic/slice/map/pointer types, aliases), struct fields with their tags,
and the methods that give a type custom JSON behaviour. Function bodies,
imports, constants and variables are skipped. encoding/json's field rules
(tags, ``typeFields``) live in :mod:`._fields`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from apiprobe.analyze.gojson._gotokens import Tok, go_unquote, tokenize
from apiprobe.errors import DataFormatError, InvalidParameterError

Kind = Literal["basic", "named", "ptr", "slice", "array", "map", "struct", "iface", "raw", "number", "unsupported"]

#: Go's predeclared types and what reflect prints for them.
BASIC: dict[str, str] = {
    "bool": "bool",
    "string": "string",
    "int": "int",
    "int8": "int8",
    "int16": "int16",
    "int32": "int32",
    "int64": "int64",
    "uint": "uint",
    "uint8": "uint8",
    "uint16": "uint16",
    "uint32": "uint32",
    "uint64": "uint64",
    "uintptr": "uintptr",
    "byte": "uint8",
    "rune": "int32",
    "float32": "float32",
    "float64": "float64",
    "complex64": "complex64",  # encoding/json refuses both: unsupported type / cannot unmarshal
    "complex128": "complex128",
}
INT_BITS: dict[str, int] = {"int": 64, "int8": 8, "int16": 16, "int32": 32, "int64": 64}
UINT_BITS: dict[str, int] = {"uint": 64, "uint8": 8, "uint16": 16, "uint32": 32, "uint64": 64, "uintptr": 64}
FLOAT_BITS: dict[str, int] = {"float32": 32, "float64": 64}
SCALAR_BASIC = frozenset(BASIC.values())
#: Types of other packages known to decode themselves (by their usual package name), so a
#: struct embedding one is decoded by that method alone (Go promotes it).
FOREIGN_UNMARSHALERS: dict[str, tuple[str, ...]] = {
    "time.Time": ("UnmarshalJSON", "UnmarshalText"),
    "big.Int": ("UnmarshalJSON", "UnmarshalText"),
    "big.Float": ("UnmarshalText",),
    "big.Rat": ("UnmarshalText",),
    "net.IP": ("UnmarshalText",),
    "netip.Addr": ("UnmarshalText",),
    "netip.AddrPort": ("UnmarshalText",),
    "netip.Prefix": ("UnmarshalText",),
    "slog.Level": ("UnmarshalJSON", "UnmarshalText"),
    "slog.LevelVar": ("UnmarshalText",),
    "uuid.UUID": ("UnmarshalText",),
    "metav1.Time": ("UnmarshalJSON",),
    "metav1.Duration": ("UnmarshalJSON",),
    "resource.Quantity": ("UnmarshalJSON",),
    "intstr.IntOrString": ("UnmarshalJSON",),
}
#: Predeclared identifiers that are not types a field can have (constraints, builtin functions, constants).
NOT_A_FIELD_TYPE = frozenset(
    {"comparable", "append", "cap", "clear", "close", "complex", "copy", "delete", "imag", "len", "make", "max"}
    | {"min", "new", "panic", "print", "println", "real", "recover", "true", "false", "iota", "nil"}
)


@dataclass(frozen=True)
class GoType:
    """A Go type expression.

    Attributes
    ----------
    kind : str
        ``basic``, ``named`` (a type declared in the same source), ``ptr``,
        ``slice``, ``array``, ``map``, ``struct`` (anonymous struct), ``iface``,
        ``raw`` (json.RawMessage), ``number`` (json.Number) or ``unsupported``
        (chan, func, types from other packages).
    name : str
        Basic type name (``byte``/``rune`` normalised), declared type name, or
        the spelling of an unsupported type.
    elem, key : GoType or None
        Element type (pointer, slice, array, map value) and map key type.
    length : int or None
        Array length.
    fields : tuple of GoField
        Fields of an anonymous struct.
    methods : bool
        True for a non-empty interface (JSON cannot decode into it).
    """

    kind: Kind
    name: str = ""
    elem: GoType | None = None
    key: GoType | None = None
    length: int | None = None
    fields: tuple[GoField, ...] = ()
    methods: bool = False
    args: tuple[GoType, ...] = ()  # type arguments of an instantiated generic type (``Page[int]``)


@dataclass(frozen=True)
class GoField:
    """One field of a Go struct as written in the source.

    Attributes
    ----------
    name : str
        Go field name; for an embedded field, the type name (``Base`` for ``*Base``).
    type : GoType
        Field type.
    tag : str or None
        Raw tag text between the quotes/backquotes, None when the field has no tag.
    embedded : bool
        True for an embedded (anonymous) field.
    line : int
        1-based source line.
    """

    name: str
    type: GoType
    tag: str | None
    embedded: bool
    line: int

    @property
    def exported(self) -> bool:
        """True when the name starts with an upper-case letter (Go's rule)."""
        return bool(self.name) and self.name[0].isupper()


@dataclass(frozen=True)
class GoStruct:
    """A struct type declared in Go source.

    Attributes
    ----------
    name : str
        Type name.
    fields : tuple of GoField
        Fields in declaration order.
    line : int
        Line of the ``type`` declaration.
    """

    name: str
    fields: tuple[GoField, ...]
    line: int


@dataclass
class Package:
    """Everything parsed from one Go source text."""

    name: str
    types: dict[str, GoType] = field(default_factory=dict)  # declared name -> underlying type
    lines: dict[str, int] = field(default_factory=dict)
    structs: dict[str, GoStruct] = field(default_factory=dict)
    custom: set[str] = field(default_factory=set)  # types with any of the four JSON/text methods
    custom_unmarshal: set[str] = field(default_factory=set)  # UnmarshalJSON / UnmarshalText: decoding not simulated
    custom_marshal: set[str] = field(default_factory=set)  # MarshalJSON / MarshalText: encoding not simulated
    #: generic type declarations: name -> (type parameter names, body with the parameters as names)
    generics: dict[str, tuple[tuple[str, ...], GoType]] = field(default_factory=dict)
    #: declared type -> its own decoding methods (``UnmarshalJSON`` / ``UnmarshalText``)
    methods: dict[str, set[str]] = field(default_factory=dict)
    _decodes_itself: dict[str, str | None] = field(default_factory=dict)

    def own_unmarshalers(self, t: GoType) -> set[str]:
        """``UnmarshalJSON``/``UnmarshalText`` declared on ``t`` itself (or known for a type of another package)."""
        if t.kind == "ptr" and t.elem is not None:
            t = t.elem
        if t.kind == "named":
            return self.methods.get(t.name, set())
        if t.kind == "unsupported":
            return set(FOREIGN_UNMARSHALERS.get(t.name, ()))
        return set()

    def decodes_itself(self, t: GoType) -> str | None:
        """Why encoding/json hands values of ``t`` to a method rather than decoding them, or None.

        A type decodes itself when it declares ``UnmarshalJSON``/``UnmarshalText`` or when a
        struct gets one promoted from an embedded field (Go's selector rules: the shallowest
        depth wins, two at the same depth cancel), as embedding ``time.Time`` does.
        """
        cacheable = t.kind == "named" and not t.args
        if cacheable and t.name in self._decodes_itself:
            return self._decodes_itself[t.name]
        if cacheable:
            self._decodes_itself[t.name] = None  # a cycle through embedded pointers promotes nothing new
        reason = self._decodes_itself_uncached(t)
        if cacheable:
            self._decodes_itself[t.name] = reason
        return reason

    def _decodes_itself_uncached(self, t: GoType) -> str | None:
        own = self.own_unmarshalers(t)
        if own:
            method = "UnmarshalJSON" if "UnmarshalJSON" in own else "UnmarshalText"
            return f"{self.type_string(t)} has its own {method}"
        try:
            u = self.under(t) if t.kind == "named" else t
        except DataFormatError:
            return None
        if u.kind != "struct":
            return None
        level: list[tuple[GoType, tuple[str, ...]]] = [(u, ())]
        seen: set[str] = set()
        for _depth in range(32):
            found: dict[str, list[tuple[str, ...]]] = {}
            nxt: list[tuple[GoType, tuple[str, ...]]] = []
            for st, path in level:
                for f in st.fields:
                    if not f.embedded:
                        continue
                    et = f.type.elem if f.type.kind == "ptr" and f.type.elem is not None else f.type
                    for m in self.own_unmarshalers(et):
                        found.setdefault(m, []).append((*path, f.name))
                    key = self.type_string(et)
                    if key in seen:
                        continue
                    seen.add(key)
                    try:
                        eu = self.under(et) if et.kind == "named" else et
                    except DataFormatError:
                        continue
                    if eu.kind == "struct":
                        nxt.append((eu, (*path, f.name)))
            for m in ("UnmarshalJSON", "UnmarshalText"):
                paths = found.get(m, [])
                if len(paths) == 1:
                    return (
                        f"{self.type_string(t)} gets {m} promoted from its embedded field "
                        f"{'.'.join(paths[0])}: Go hands that method the whole value"
                    )
            if not nxt:
                return None
            level = nxt
        return None

    def under(self, t: GoType) -> GoType:
        """Underlying type of ``t`` (follows declared names, instantiates generic ones)."""
        seen = 0
        while t.kind == "named":
            if t.args:
                t = self.instantiate(t)
            elif t.name not in self.types:
                if t.name in NOT_A_FIELD_TYPE:
                    raise DataFormatError(f"Go's predeclared {t.name!r} is not a type a value can have")
                if t.name in self.generics:
                    raise DataFormatError(f"Go type {t.name!r} is generic: it needs type arguments ({t.name}[...])")
                raise DataFormatError(f"Go type {t.name!r} is not declared in the given source")
            else:
                t = self.types[t.name]
            seen += 1
            if seen > 100:
                raise DataFormatError(f"Go type {t.name!r} is defined in terms of itself")
        return t

    def instantiate(self, t: GoType) -> GoType:
        """The body of generic type ``t.name`` with its parameters replaced by ``t.args``."""
        if t.name not in self.generics:
            raise DataFormatError(f"Go type {t.name!r} is not a generic type declared in the given source")
        params, body = self.generics[t.name]
        if len(params) != len(t.args):
            raise DataFormatError(
                f"Go type {t.name}: {len(t.args)} type argument(s) for {len(params)} parameter(s) [{', '.join(params)}]"
            )
        return _substitute(body, dict(zip(params, t.args, strict=True)))

    def type_string(self, t: GoType) -> str:
        """What reflect.Type.String() prints for ``t``."""
        if t.kind == "basic":
            return t.name
        if t.kind == "named":
            if t.args:  # reflect: main.Page[int], main.Pair[main.Item,string]
                return f"{self.name}.{t.name}[{','.join(self.type_string(a) for a in t.args)}]"
            return f"{self.name}.{t.name}"
        if t.kind == "ptr":
            assert t.elem is not None
            return "*" + self.type_string(t.elem)
        if t.kind == "slice":
            assert t.elem is not None
            return "[]" + self.type_string(t.elem)
        if t.kind == "array":
            assert t.elem is not None
            return f"[{t.length}]" + self.type_string(t.elem)
        if t.kind == "map":
            assert t.elem is not None and t.key is not None
            return f"map[{self.type_string(t.key)}]{self.type_string(t.elem)}"
        if t.kind == "iface":
            if t.name == "error":
                return "error"
            return "interface {}" if not t.methods else "interface { ... }"
        if t.kind == "raw":
            return "json.RawMessage"
        if t.kind == "number":
            return "json.Number"
        if t.kind == "struct":
            if not t.fields:
                return "struct {}"
            parts = []
            for f in t.fields:
                s = self.type_string(f.type) if f.embedded else f"{f.name} {self.type_string(f.type)}"
                if f.tag:
                    s += " " + go_quote(f.tag)
                parts.append(s)
            return "struct { " + "; ".join(parts) + " }"
        return t.name


def _substitute(t: GoType, subst: dict[str, GoType]) -> GoType:
    """``t`` with the type parameters named in ``subst`` replaced by their arguments."""
    if t.kind == "named" and not t.args and t.name in subst:
        return subst[t.name]
    changes: dict[str, Any] = {}
    if t.elem is not None:
        changes["elem"] = _substitute(t.elem, subst)
    if t.key is not None:
        changes["key"] = _substitute(t.key, subst)
    if t.args:
        changes["args"] = tuple(_substitute(a, subst) for a in t.args)
    if t.fields:
        changes["fields"] = tuple(
            GoField(f.name, _substitute(f.type, subst), f.tag, f.embedded, f.line) for f in t.fields
        )
    return replace(t, **changes) if changes else t


def go_quote(s: str) -> str:
    """strconv.Quote (Go's %q): printable runes kept, the rest escaped."""
    named = {
        "\a": "\\a",
        "\b": "\\b",
        "\f": "\\f",
        "\n": "\\n",
        "\r": "\\r",
        "\t": "\\t",
        "\v": "\\v",
        '"': '\\"',
        "\\": "\\\\",
    }
    out = ['"']
    for ch in s:
        if ch in named:
            out.append(named[ch])
        elif ch == "\ufffd" or (ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF):
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


# ---------------------------------------------------------------- parser


class _Parser:
    def __init__(self, src: str, shadowed: frozenset[str] = frozenset()) -> None:
        self.toks = tokenize(src)
        self.shadowed = shadowed  # predeclared names the source declares as its own types
        self.eof_line = src.count("\n") + 1
        self.i = 0
        self.pkg = Package(name="main")
        self.in_type = ""  # the type declaration being parsed, named in error messages

    def peek(self, k: int = 0) -> Tok:
        j = self.i + k
        if j < len(self.toks):
            return self.toks[j]
        return Tok("eof", "", self.eof_line)

    def next(self) -> Tok:
        t = self.peek()
        self.i += 1
        return t

    def fail(self, what: str, tok: Tok | None = None) -> DataFormatError:
        tok = tok or self.peek()
        found = "end of input" if tok.kind == "eof" else repr(tok.text)
        return DataFormatError(f"Go source line {tok.line}{self.where()}: expected {what}, found {found}")

    def where(self) -> str:
        return f" (in type {self.in_type})" if self.in_type else ""

    def expect(self, text: str) -> Tok:
        tok = self.peek()
        if tok.text != text or tok.kind in ("str", "raw"):
            raise self.fail(repr(text))
        return self.next()

    def ident(self) -> Tok:
        tok = self.peek()
        if tok.kind != "ident":
            raise self.fail("a name")
        return self.next()

    def skip_balanced(self) -> None:
        """Skip one token or a whole bracketed group."""
        opening = {"(": ")", "[": "]", "{": "}"}
        tok = self.next()
        if tok.text not in opening or tok.kind != "op":
            return
        stack = [opening[tok.text]]
        while stack:
            t = self.next()
            if t.kind == "eof":
                raise DataFormatError(f"Go source line {tok.line}{self.where()}: {tok.text!r} is never closed")
            if t.kind == "op" and t.text in opening:
                stack.append(opening[t.text])
            elif t.kind == "op" and t.text in ")]}":
                if t.text != stack[-1]:
                    raise self.fail(repr(stack[-1]), t)
                stack.pop()

    def parse(self) -> Package:
        while self.peek().kind != "eof":
            tok = self.peek()
            if tok.kind == "ident" and tok.text == "package":
                self.next()
                self.pkg.name = self.ident().text
            elif tok.kind == "ident" and tok.text == "type":
                self.next()
                if self.peek().text == "(" and self.peek().kind == "op":
                    self.next()
                    while not (self.peek().text == ")" and self.peek().kind == "op"):
                        if self.peek().text == ";":
                            self.next()
                            continue
                        if self.peek().kind == "eof":
                            raise self.fail("')'")
                        self.type_spec()
                    self.next()
                else:
                    self.type_spec()
            elif tok.kind == "ident" and tok.text == "func":
                self.func_decl()
            else:
                self.skip_balanced()
        return self.pkg

    def func_decl(self) -> None:
        self.next()
        recv = None
        if self.peek().text == "(":
            start = self.i
            self.skip_balanced()
            recv = _receiver_type(self.toks[start : self.i])
        name = self.peek().text if self.peek().kind == "ident" else ""
        if recv and name in ("UnmarshalJSON", "UnmarshalText", "MarshalJSON", "MarshalText"):
            self.pkg.custom.add(recv)
            (self.pkg.custom_unmarshal if name.startswith("Unmarshal") else self.pkg.custom_marshal).add(recv)
            if name.startswith("Unmarshal"):
                self.pkg.methods.setdefault(recv, set()).add(name)
        # skip the rest of the signature and the body, stopping at the end of the declaration
        while self.peek().kind != "eof" and self.peek().text != ";":
            if self.peek().text == "{" and self.peek().kind == "op":
                self.skip_balanced()
                break
            self.skip_balanced()

    def type_spec(self) -> None:
        name_tok = self.ident()
        self.in_type = name_tok.text
        try:
            self.type_spec_body(name_tok)
        finally:
            self.in_type = ""

    def type_params(self) -> tuple[str, ...]:
        """``[K comparable, V any]``: the parameter names (constraints are not needed to decode)."""
        self.expect("[")
        names: list[str] = []
        while True:
            group = [self.ident().text]
            while self.peek().text == "," and self.peek().kind == "op":
                self.next()
                group.append(self.ident().text)
            names += group
            # the constraint: everything up to the next top-level ',' or ']'
            while not (self.peek().kind == "op" and self.peek().text in (",", "]")):
                if self.peek().kind == "eof":
                    raise self.fail("']' closing the type parameters")
                self.skip_balanced()
            if self.next().text == "]":
                return tuple(names)

    def type_spec_body(self, name_tok: Tok) -> None:
        params: tuple[str, ...] = ()
        if self.peek().text == "[" and self.peek(1).kind == "ident" and self.peek(2).text not in ("]",):
            params = self.type_params()  # a generic type: instantiated where a field names it
        if self.peek().text == "=":
            self.next()
        t = self.type_expr()
        if params:
            self.pkg.generics[name_tok.text] = (params, t)
            self.pkg.lines[name_tok.text] = name_tok.line
            if self.peek().text not in (";", ")") and self.peek().kind != "eof":
                raise self.fail("';' or a new line after the type")
            return
        self.pkg.types[name_tok.text] = t
        self.pkg.lines[name_tok.text] = name_tok.line
        if t.kind == "struct":
            self.pkg.structs[name_tok.text] = GoStruct(name_tok.text, t.fields, name_tok.line)
        if self.peek().text not in (";", ")") and self.peek().kind != "eof":
            raise self.fail("';' or a new line after the type")

    def skip_type_rest(self) -> None:
        while self.peek().kind != "eof" and self.peek().text not in (";",):
            self.skip_balanced()

    def type_expr(self) -> GoType:
        tok = self.peek()
        if tok.kind == "ident":
            self.next()
            if tok.text == "struct":
                return self.struct_body()
            if tok.text == "interface":
                start = self.peek()
                self.expect("{")
                self.i -= 1
                i0 = self.i
                self.skip_balanced()
                inner = [t for t in self.toks[i0 + 1 : self.i - 1] if t.text != ";"]
                del start
                return GoType("iface", "interface {}", methods=bool(inner))
            if tok.text == "map":
                self.expect("[")
                k = self.type_expr()
                self.expect("]")
                return GoType("map", key=k, elem=self.type_expr())
            if tok.text in ("chan", "func"):
                i0 = self.i - 1
                if tok.text == "func":
                    self.skip_balanced()
                    if self.peek().text == "(":
                        self.skip_balanced()
                    elif self.peek().kind == "ident" or self.peek().text in ("*", "["):
                        self.type_expr()
                else:
                    if self.peek().text == "<-":
                        self.next()
                    self.type_expr()
                return GoType("unsupported", " ".join(t.text for t in self.toks[i0 : self.i]))
            return self.type_name(tok)
        if tok.kind == "op" and tok.text == "*":
            self.next()
            return GoType("ptr", elem=self.type_expr())
        if tok.kind == "op" and tok.text == "(":
            self.next()
            t = self.type_expr()
            self.expect(")")
            return t
        if tok.kind == "op" and tok.text == "[":
            self.next()
            if self.peek().text == "]":
                self.next()
                return GoType("slice", elem=self.type_expr())
            n = self.peek()
            if n.kind != "num":
                raise self.fail("an array length")
            self.next()
            try:
                length = int(n.text.replace("_", ""), 0)
            except ValueError:
                raise self.fail("an integer array length", n) from None
            self.expect("]")
            return GoType("array", elem=self.type_expr(), length=length)
        raise self.fail("a type")

    def tag(self) -> str | None:
        tok = self.peek()
        if tok.kind == "raw":
            self.next()
            return tok.text[1:-1]
        if tok.kind == "str":
            self.next()
            value = go_unquote(tok.text)
            if value is None:
                raise self.fail("a valid string literal", tok)
            return value
        return None

    def struct_body(self) -> GoType:
        self.expect("{")
        fields: list[GoField] = []
        while True:
            tok = self.peek()
            if tok.kind == "op" and tok.text == ";":
                self.next()
                continue
            if tok.kind == "op" and tok.text == "}":
                self.next()
                break
            if tok.kind == "eof":
                raise self.fail("'}' closing the struct")
            fields.extend(self.field_decl())
            if self.peek().text not in (";", "}"):
                raise self.fail("';' or a new line after the field")
        return GoType("struct", fields=tuple(fields))

    def field_decl(self) -> list[GoField]:
        tok = self.peek()
        if tok.kind == "op" and tok.text == "*":
            self.next()
            base = self.embedded_name()
            return [GoField(base.name.split(".")[-1], GoType("ptr", elem=base), self.tag(), True, tok.line)]
        if tok.kind != "ident":
            raise self.fail("a field name")
        nxt = self.peek(1)
        if nxt.kind in ("str", "raw") or (nxt.kind == "op" and nxt.text in (";", "}", ".")):
            base = self.embedded_name()
            return [GoField(base.name.split(".")[-1], base, self.tag(), True, tok.line)]
        names = [self.ident()]
        while self.peek().text == "," and self.peek().kind == "op":
            self.next()
            names.append(self.ident())
        t = self.type_expr()
        tag = self.tag()
        return [GoField(n.text, t, tag, False, n.line) for n in names]

    def embedded_name(self) -> GoType:
        return self.type_name(self.ident())

    def type_name(self, first: Tok) -> GoType:
        """The type named by ``first`` (already read), with an optional ``.Selector`` after it."""
        if self.peek().text == "." and self.peek().kind == "op":
            self.next()
            sel = self.ident().text
            if first.text == "json" and sel == "RawMessage":
                return GoType("raw", "json.RawMessage")
            if first.text == "json" and sel == "Number":
                return GoType("number", "json.Number")
            return GoType("unsupported", f"{first.text}.{sel}")
        if first.text in self.shadowed:
            pass  # the source's own type of that name (Go scoping: the package block wins)
        elif first.text in BASIC:
            return GoType("basic", BASIC[first.text])
        elif first.text == "any":
            return GoType("iface", "interface {}")
        elif first.text == "error":  # the predeclared interface { Error() string }
            return GoType("iface", "error", methods=True)
        if self.peek().text == "[" and self.peek().kind == "op" and self.peek(1).text != "]":
            return self.instantiation(first)
        return GoType("named", first.text)

    def instantiation(self, first: Tok) -> GoType:
        """``Name[T1, T2]``: a generic type instantiated with type arguments."""
        self.expect("[")
        args = [self.type_expr()]
        while self.peek().text == "," and self.peek().kind == "op":
            self.next()
            if self.peek().text == "]":
                break
            args.append(self.type_expr())
        self.expect("]")
        return GoType("named", first.text, args=tuple(args))


def _receiver_type(toks: list[Tok]) -> str | None:
    """The type name in a method receiver ``(r *T)``, ``(T)``, ``(p *Page[T])``, ``(Pair[K, _])``."""
    idents = [i for i, t in enumerate(toks) if t.kind == "ident"]
    if not idents:
        return None
    bracket = next((i for i, t in enumerate(toks) if t.kind == "op" and t.text == "["), None)
    if bracket is not None:
        before = [i for i in idents if i < bracket]
        return toks[before[-1]].text if before else None
    return toks[idents[-1]].text


def parse_package(src: str) -> Package:
    """Parse Go source text; raise DataFormatError naming the line on a syntax error."""
    try:
        pkg = _Parser(src).parse()
        shadowed = frozenset(pkg.types) | frozenset(pkg.generics)
        shadowed &= frozenset(BASIC) | {"any", "error"}
        return _Parser(src, shadowed).parse() if shadowed else pkg
    except RecursionError as exc:  # thousands of nested anonymous structs or brackets
        raise DataFormatError("Go source nests types too deeply to parse (thousands of levels)") from exc


# ---------------------------------------------------------------- public entry points


def parse_go_structs(source: str) -> dict[str, GoStruct]:
    """Struct types declared in Go source.

    Parameters
    ----------
    source : str
        Go source text: a whole file or just the type declarations. Comments,
        ``type ( ... )`` groups, multi-name fields (``A, B int``), embedded
        fields, anonymous nested structs, pointer/slice/array/map types and
        ``interface{}``/``any`` are understood; functions, imports, constants
        and variables are skipped.

    Returns
    -------
    dict of str to GoStruct
        Struct types by name, in declaration order. Tags are kept verbatim,
        malformed ones included (see :func:`audit_struct_tags`).

    Raises
    ------
    DataFormatError
        When the source cannot be parsed; the message names the line (and the type
        declaration it is in).
    """
    return dict(parse_package(source).structs)


def load_struct(go_source: str | Package, struct_name: str) -> tuple[Package, GoType]:
    """Parse ``go_source`` (unless already parsed) and name the struct ``struct_name`` in it.

    Raises
    ------
    DataFormatError
        When the source cannot be parsed (the line is named).
    InvalidParameterError
        When ``struct_name`` is not a struct type of the source; the message lists the ones found.
    """
    pkg = go_source if isinstance(go_source, Package) else parse_package(go_source)
    if struct_name not in pkg.structs:
        known = ", ".join(pkg.structs) or "none"
        raise InvalidParameterError(
            f"struct_name={struct_name!r}: no struct type {struct_name!r} in the Go source (struct types: {known})"
        )
    cycle = _value_cycle(pkg, struct_name)
    if cycle:
        raise DataFormatError(
            f"invalid recursive type {cycle[0]}: {' → '.join(cycle)} contains itself by value "
            "(Go rejects this source: use a pointer, slice or map to refer back)"
        )
    return pkg, GoType("named", struct_name)


def _value_cycle(pkg: Package, start: str) -> list[str]:
    """A chain of declared types from ``start`` back to a type it contains by value, or []."""

    def by_value(t: GoType) -> list[str]:
        if t.kind == "named":  # a generic instantiation Bad[T] contains Bad's body
            return [t.name]
        if t.kind == "array" and t.elem is not None:
            return by_value(t.elem)
        if t.kind == "struct":
            return [n for f in t.fields for n in by_value(f.type)]
        return []  # pointers, slices, maps, interfaces break a cycle

    path: list[str] = []
    done: set[str] = set()

    def visit(name: str) -> list[str]:
        if name in path:
            return [*path[path.index(name) :], name]
        body = pkg.types[name] if name in pkg.types else pkg.generics[name][1] if name in pkg.generics else None
        if name in done or body is None:
            return []
        params = pkg.generics[name][0] if name not in pkg.types else ()
        path.append(name)
        for nxt in by_value(body):
            if nxt in params:  # a type parameter, not the declared type that shares its name
                continue
            found = visit(nxt)
            if found:
                return found
        path.pop()
        done.add(name)
        return []

    return visit(start)
