"""simulate_unmarshal and audits on real Go sources (tests/fixtures/realworld/gostructs) and bad input."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from apiprobe.analyze.gojson import audit_payloads, audit_struct_tags, simulate_marshal, simulate_unmarshal
from apiprobe.errors import DataFormatError, InvalidParameterError

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "realworld" / "gostructs"
ZIPKIN = "\n".join(p.read_text() for p in sorted(REAL.glob("zipkin-go-model-*.go")))


def test_error_field_with_dash_tag_and_custom_types() -> None:
    """zipkin-go's SpanContext: Err error `json:"-"`, TraceID/ID with their own UnmarshalJSON."""
    r = simulate_unmarshal(
        ZIPKIN, "SpanContext", '{"traceId":"00000000000000010000000000000002","id":"03","debug":true}'
    )
    assert r.error is None
    assert r.values["Debug"] is True and r.values["Err"] is None and r.values["ParentID"] is None
    # Go fills these through their UnmarshalJSON: NA, never a zero Go would not leave
    assert r.values["TraceID"] is pd.NA and r.values["ID"] is pd.NA
    outcomes = dict(zip(r.keys["key"], r.keys["outcome"], strict=True))
    assert outcomes == {"traceId": "not_simulated", "id": "not_simulated", "debug": "set"}
    # a key the payload does not carry keeps Go's zero value, custom type or not
    assert simulate_unmarshal(ZIPKIN, "SpanContext", "{}").values["TraceID"] == {"High": 0, "Low": 0}


def test_marshal_only_type_decodes_by_encoding_json_rules() -> None:
    """Endpoint has MarshalJSON but no UnmarshalJSON: decoding is encoding/json's own."""
    r = simulate_unmarshal(ZIPKIN, "Endpoint", '{"serviceName":"web","port":8080,"ipv4":"10.0.0.1"}')
    assert r.values["ServiceName"] == "web" and r.values["Port"] == 8080
    assert r.values["IPv4"] is pd.NA  # net.IP: a type from another package (it has UnmarshalText)
    with pytest.raises(DataFormatError, match="custom JSON methods"):
        simulate_marshal(ZIPKIN, "Endpoint", r.values)


def test_struct_with_its_own_unmarshal_json_is_not_simulated() -> None:
    r = simulate_unmarshal(ZIPKIN, "SpanModel", '{"name":"get","traceId":"01","id":"02"}')
    assert r.error is None and len(r.keys) == 0
    assert all(v is pd.NA for v in r.values.values())
    assert r.findings["metric"].tolist() == ["not_simulated"]


def test_audit_struct_tags_on_real_source() -> None:
    findings = audit_struct_tags(ZIPKIN)
    assert set(findings["fault"]) <= {"serialization"}


def test_complex_fields_as_go() -> None:
    """Recorded from Go 1.19 and 1.27 (same wording): encoding/json has no complex numbers."""
    src = 'type T struct {\n\tC complex128 `json:"c"`\n\tN int `json:"n"`\n}\n'
    r = simulate_unmarshal(src, "T", '{"c":1.5,"n":2}')
    assert r.error == "json: cannot unmarshal number into Go struct field T.c of type complex128"
    assert r.values["N"] == 2
    assert simulate_unmarshal(src, "T", '{"c":"1+2i"}').error == (
        "json: cannot unmarshal string into Go struct field T.c of type complex128"
    )
    with pytest.raises(DataFormatError, match="json: unsupported type: complex128"):
        simulate_marshal(src, "T", {"C": 0, "N": 1})


def test_audit_payloads_skips_missing_bodies() -> None:
    src = 'type T struct {\n\tName string `json:"name"`\n}\n'
    bodies = pd.Series(['{"name":"a"}', None, pd.NA, '{"name":"b","x":1}', float("nan")])
    df = audit_payloads(src, "T", bodies)
    assert df.attrs["payloads_without_body"] == 3
    assert int(df.set_index("key").loc["name", "seen"]) == 2
    with pytest.raises(InvalidParameterError, match="payloads: expected JSON text"):
        audit_payloads(src, "T", [1, 2])
