"""Go source tokens (with Go's automatic semicolons) and Go string-literal unquoting, for :mod:`._gosource`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from apiprobe.errors import DataFormatError

# ---------------------------------------------------------------- tokenizer

_TOKEN = re.compile(
    r"""
    (?P<ws>[ \t\r]+)
  | (?P<nl>\n)
  | (?P<lcomment>//[^\n]*)
  | (?P<bcomment>/\*.*?\*/)
  | (?P<raw>`[^`]*`)
  | (?P<str>"(?:[^"\\\n]|\\.)*")
  | (?P<char>'(?:[^'\\\n]|\\.)*')
  | (?P<num>\.?[0-9][0-9a-zA-Z_.]*(?:[eEpP][+-][0-9_]+)?)
  | (?P<ident>[^\W\d]\w*)
  | (?P<op>\.\.\.|<-|:=|==|!=|<=|>=|&&|\|\||\+\+|--|[-+*/%&|^<>=!(){}\[\],;:.~])
""",
    re.VERBOSE | re.DOTALL,
)

_SEMI_AFTER = {"ident", "num", "str", "raw", "char"}
_SEMI_AFTER_OPS = {")", "]", "}", "++", "--"}
_SEMI_AFTER_KW = {"break", "continue", "fallthrough", "return"}


@dataclass(frozen=True)
class Tok:
    kind: str
    text: str
    line: int


def tokenize(src: str) -> list[Tok]:
    """Go tokens with automatic semicolons; raises DataFormatError naming the line."""
    toks: list[Tok] = []
    pos, line = 0, 1

    def semi() -> None:
        if toks:
            last = toks[-1]
            if last.kind in _SEMI_AFTER or (last.kind == "op" and last.text in _SEMI_AFTER_OPS):
                toks.append(Tok("op", ";", line))

    while pos < len(src):
        m = _TOKEN.match(src, pos)
        if m is None:
            ch = src[pos]
            if ch == "`":
                raise DataFormatError(f"Go source line {line}: raw string literal not terminated")
            if ch == '"':
                raise DataFormatError(f"Go source line {line}: string literal not terminated")
            if src.startswith("/*", pos):
                raise DataFormatError(f"Go source line {line}: comment not terminated")
            raise DataFormatError(f"Go source line {line}: invalid character {ch!r}")
        kind = m.lastgroup or ""
        text = m.group()
        if kind == "nl":
            semi()
            line += 1
        elif kind in ("ws", "lcomment"):
            pass
        elif kind == "bcomment":
            if "\n" in text:
                semi()
            line += text.count("\n")
        else:
            if kind == "ident" and text in _SEMI_AFTER_KW:
                kind = "kw"
            toks.append(Tok(kind if kind != "kw" else "ident", text, line))
            line += text.count("\n")
        pos = m.end()
    semi()
    return toks


def go_unquote(lit: str) -> str | None:
    """strconv.Unquote for a double-quoted Go string literal; None when invalid."""
    if len(lit) < 2 or lit[0] != '"' or lit[-1] != '"':
        return None
    body = lit[1:-1]
    out: list[str] = []
    i = 0
    simple = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\", '"': '"'}
    while i < len(body):
        c = body[i]
        if c == '"' or c == "\n":
            return None
        if c != "\\":
            out.append(c)
            i += 1
            continue
        if i + 1 >= len(body):
            return None
        e = body[i + 1]
        if e in simple:
            out.append(simple[e])
            i += 2
        elif e in "xuU":
            n = {"x": 2, "u": 4, "U": 8}[e]
            digits = body[i + 2 : i + 2 + n]
            if len(digits) != n or not re.fullmatch(r"[0-9a-fA-F]+", digits):
                return None
            out.append(chr(int(digits, 16)))
            i += 2 + n
        elif e in "01234567":
            digits = body[i + 1 : i + 4]
            if not re.fullmatch(r"[0-7]{3}", digits):
                return None
            out.append(chr(int(digits, 8)))
            i += 4
        else:
            return None
    return "".join(out)
