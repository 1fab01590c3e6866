"""read_timeouts / parse_timeouts: a declared call graph in YAML, JSON or CSV, and what a bad one says."""

from __future__ import annotations

from pathlib import Path

import pytest

from apiprobe import DataFormatError, parse_timeouts, read_timeouts

YAML = """
# the checkout path, as deployed
calls:
  - {caller: client, callee: gateway, timeout: 5s}
  - {caller: gateway, callee: orders, timeout: 3s, retries: 2, backoff: go-retryablehttp}
  - {caller: orders, callee: payments, timeout: 1500ms, retries: 3, backoff: exponential}
  - {caller: orders, callee: inventory, timeout_ms: 800}
"""


def test_yaml_list_form(tmp_path: Path) -> None:
    path = tmp_path / "timeouts.yaml"
    path.write_text(YAML, encoding="utf-8")
    df = read_timeouts(path)
    assert df.columns.tolist() == ["caller", "callee", "timeout_s", "retries", "backoff"]
    assert df["timeout_s"].tolist() == [5.0, 3.0, 1.5, 0.8]
    assert df["retries"].tolist() == [0, 2, 3, 0]
    assert df["backoff"].isna().tolist() == [True, False, False, True]


def test_mapping_json_and_csv_forms_agree() -> None:
    mapping = parse_timeouts("gateway:\n  orders: {timeout: 1m30s, retries: 1}\n")
    assert mapping.iloc[0][["caller", "callee", "timeout_s", "retries"]].tolist() == ["gateway", "orders", 90.0, 1]
    js = parse_timeouts('[{"caller": "gateway", "callee": "orders", "timeout_s": 90, "retries": 1}]')
    csv = parse_timeouts("caller,callee,timeout_s,retries\ngateway,orders,90,1\n")
    for df in (js, csv):
        assert df.iloc[0][["caller", "callee", "timeout_s", "retries"]].tolist() == ["gateway", "orders", 90.0, 1]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("calls:\n  - {caller: a, callee: b}\n", r"calls\[0\] \(a → b\): no timeout"),
        ("calls:\n  - {caller: a, callee: b, timeout: soon}\n", "'soon' is not a duration"),
        ("calls:\n  - {caller: a, callee: b, timeout: 0s}\n", "timeout must be > 0"),
        ("calls:\n  - {caller: a, callee: b, timeout: 1s, retries: -1}\n", "retries must be"),
        ("calls:\n  - {callee: b, timeout: 1s}\n", "needs both caller and callee"),
        ("calls: []\n", "lists no calls"),
        ("calls: [unclosed\n", "not YAML"),
        ("{broken json", "not JSON"),
        ("42\n", "expected a list of calls"),
    ],
)
def test_bad_graphs_name_the_entry(text: str, match: str) -> None:
    with pytest.raises(DataFormatError, match=match):
        parse_timeouts(text, name="t.yaml")


def test_unreadable_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match=r"missing\.yaml: cannot read"):
        read_timeouts(tmp_path / "missing.yaml")
