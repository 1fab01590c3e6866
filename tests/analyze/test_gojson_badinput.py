"""apiprobe.analyze.gojson under hostile Go source and payloads, each run under memory and time limits.

Every call must end as Go's own answer or as a named :class:`~apiprobe.errors.ApiprobeError`:
never a ``RecursionError``, a crash or a hang (issue 11 items 12 and 17). Go accepts recursive
types through pointers, slices and maps and decodes JSON up to 10,000 levels deep; it rejects a
type that contains itself by value.
"""

from __future__ import annotations

import json

import pytest
from bounded import run_bounded

DEEP_STRUCTS = "type T struct { X " + "struct { X " * 5000 + "int" + " }" * 5000 + " }"


def _simulate(source: str, struct: str, payload: str) -> str:
    return (
        f"(lambda r: [r.error, str(r.values)[:200]])(apiprobe.simulate_unmarshal({source!r}, {struct!r}, {payload!r}))"
    )


@pytest.mark.parametrize(
    ("source", "struct", "payload", "kinds", "says"),
    [
        ("type A struct { A }", "A", "{}", {"named_error"}, "invalid recursive type A"),
        ("type A struct { B }\ntype B struct { X [2]A }", "A", "{}", {"named_error"}, "A → B → A"),
        ("type A = B\ntype B = A\ntype T struct { X A }", "T", "{}", {"named_error"}, "invalid recursive type"),
        ("type Bad[T any] struct { V T; X Bad[T] }\ntype T struct { B Bad[int] }", "T", "{}", {"named_error"}, "Bad"),
        (
            'type Node struct { V int `json:"v"`; Next *Node `json:"next"` }',
            "Node",
            '{"next":{"next":{"v":3}}}',
            {"ok"},
            "",
        ),
        ('type T struct { *T; N int `json:"n"` }', "T", '{"n":1}', {"ok"}, ""),
        (
            'type L[T any] struct { V T `json:"v"`; Next *L[[]T] `json:"next"` }\n'
            'type T struct { G L[int] `json:"g"` }',
            "T",
            '{"g":{"v":1,"next":{"v":[2]}}}',
            {"ok"},
            "",
        ),
        (DEEP_STRUCTS, "T", "{}", {"ok", "named_error"}, ""),
        (
            'type T struct { X any `json:"x"` }',
            "T",
            '{"x":' + "[" * 1_000 + "]" * 1_000 + "}",
            {"ok", "named_error"},
            "",
        ),
        ('type T struct { X *T `json:"x"` }', "T", '{"x":' * 1_000 + "{}" + "}" * 1_000, {"ok", "named_error"}, ""),
        (
            'type T struct { X any `json:"x"` }',
            "T",
            '{"x":' + "[" * 50_000 + "]" * 50_000 + "}",
            {"ok"},
            "exceeded max depth",
        ),
        (
            'type T struct { N int64 `json:"n"` }',
            "T",
            '{"n":' + "7" * 5_000 + "}",
            {"ok"},
            "json: cannot unmarshal number 777",
        ),
        ('type T struct { N any `json:"n"` }', "T", '{"n":' + "7" * 5_000 + "}", {"ok"}, "of type float64"),
        ('type T struct { N int `json:"n,string"` }', "T", '{"n":"' + "7" * 5_000 + '"}', {"ok"}, "of type int"),
    ],
    ids=[
        "self-embedding",
        "cycle-through-array",
        "alias-cycle",
        "generic-self-by-value",
        "pointer-cycle",
        "embedded-pointer-to-self",
        "generic-growing-through-pointer",
        "5000-nested-anonymous-structs",
        "1000-deep-arrays",
        "1000-deep-pointer-structs",
        "50000-deep",
        "5000-digit-int",
        "5000-digit-any",
        "5000-digit-string-option",
    ],
)
def test_recursive_sources_and_deep_payloads(
    source: str, struct: str, payload: str, kinds: set[str], says: str
) -> None:
    out = run_bounded(_simulate(source, struct, payload), timeout_s=180)
    assert out.kind in kinds, out
    text = out.message if out.kind == "named_error" else json.dumps(out.result)
    assert says in text, out
    if out.kind == "named_error":
        assert out.type in ("DataFormatError", "InvalidParameterError"), out


@pytest.mark.parametrize(
    ("expression", "kinds"),
    [
        (f"apiprobe.parse_go_structs({DEEP_STRUCTS!r}) and 'parsed'", {"ok", "named_error"}),
        (f"apiprobe.audit_struct_tags({DEEP_STRUCTS!r}).shape[0]", {"ok", "named_error"}),
        ("apiprobe.parse_go_structs('type T struct {' * 3 + '[' * 5000) and 0", {"named_error"}),
        ("apiprobe.parse_go_structs('type T struct { A map[' * 2000) and 0", {"named_error"}),
        ("apiprobe.simulate_marshal('type T struct { A complex128 }', 'T', {'A': 0})", {"named_error"}),
    ],
    ids=["parse-5000-nested", "audit-5000-nested", "unclosed-brackets", "unclosed-maps", "marshal-complex"],
)
def test_source_entry_points(expression: str, kinds: set[str]) -> None:
    out = run_bounded(expression, timeout_s=180)
    assert out.kind in kinds, out


def test_audit_payloads_with_missing_deep_and_huge_bodies() -> None:
    """GET rows without a body are skipped and counted; deep and huge bodies never raise raw errors."""
    bodies = [
        '{"n":1}',
        None,
        float("nan"),
        '{"n":' + "9" * 5_000 + "}",
        '{"x":' + "[" * 1_000 + "]" * 1_000 + "}",
        '{"x":' + "[" * 20_000 + "]" * 20_000 + "}",
        "not json",
    ]
    expression = (
        "(lambda df: {'rows': len(df), 'no_body': int(df.attrs['payloads_without_body']), "
        "'errors': int(df.attrs['payloads_with_error'])})"
        f"(apiprobe.audit_payloads('type T struct {{ N int64 `json:\"n\"`; X any `json:\"x\"` }}', 'T', "
        f"__import__('pandas').Series({bodies!r}.__class__({bodies!r}), dtype=object)))"
    )
    out = run_bounded(expression.replace("nan", "float('nan')"), timeout_s=180)
    assert out.kind in ("ok", "named_error"), out
    if out.kind == "ok":
        assert out.result["no_body"] == 2, out
        assert out.result["errors"] >= 3, out
