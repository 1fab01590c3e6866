"""Schema conformance helpers."""

from __future__ import annotations

import pandas as pd
import pytest

from apiprobe.errors import SchemaError
from apiprobe.schema import ERROR_KINDS, SCHEMAS, columns, conform, validate


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_empty_conformed_table_validates(name: str) -> None:
    df = conform(None, name)
    validate(df, name)
    assert list(df.columns) == columns(name)


def test_conform_casts_strings_and_keeps_extras() -> None:
    df = conform(
        [{"ts": "2026-01-01T00:00:00Z", "status": "200", "reused_conn": "false", "total_ms": "1.5", "note": "x"}],
        "probes",
    )
    validate(df, "probes")
    assert df["status"].iloc[0] == 200 and not df["reused_conn"].iloc[0]
    assert df["total_ms"].iloc[0] == 1.5 and df.columns[-1] == "note"
    assert pd.isna(df["dns_ms"].iloc[0])


def test_validate_reports_every_problem() -> None:
    df = conform(None, "probes").drop(columns=["ts"]).assign(error_kind=pd.Series(dtype="string"))
    df.loc[0, "error_kind"] = "gremlins"
    with pytest.raises(SchemaError) as info:
        validate(df, "probes")
    assert "missing column 'ts'" in str(info.value) and "gremlins" in str(info.value)


def test_uncastable_value_is_a_schema_error() -> None:
    with pytest.raises(SchemaError, match="total_ms"):
        conform([{"total_ms": "fast"}], "probes")


def test_unknown_schema() -> None:
    with pytest.raises(SchemaError, match="unknown schema"):
        columns("nope")


def test_error_kinds_documented() -> None:
    assert all(isinstance(v, str) and v for v in ERROR_KINDS.values())
