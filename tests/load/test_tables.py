"""Saving and reading probe tables; broken files raise DataFormatError naming the file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from apiprobe.demo import demo_pings, demo_probes
from apiprobe.errors import ApiprobeError, DataFormatError
from apiprobe.load import read_pings, read_probes, write_table


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_round_trip(tmp_path: Path, suffix: str) -> None:
    df = demo_probes(minutes=10)
    back = read_probes(write_table(df, tmp_path / f"p{suffix}"))
    pd.testing.assert_frame_equal(df.reset_index(drop=True), back, check_exact=False, atol=1e-3)


def test_pings_round_trip(tmp_path: Path) -> None:
    df = demo_pings(minutes=5)
    back = read_pings(write_table(df, tmp_path / "pings.csv"))
    pd.testing.assert_frame_equal(df, back, check_exact=False, atol=1e-3)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="no such file"):
        read_probes(tmp_path / "nope.csv")


def test_unknown_suffix(tmp_path: Path) -> None:
    (tmp_path / "p.txt").write_text("x")
    with pytest.raises(DataFormatError, match=r"p\.txt"):
        read_probes(tmp_path / "p.txt")


def test_not_a_probes_table(tmp_path: Path) -> None:
    p = tmp_path / "other.csv"
    p.write_text("a,b\n1,2\n")
    with pytest.raises(DataFormatError, match=r"other\.csv.*missing columns"):
        read_probes(p)


def test_bad_values_name_file_and_column(tmp_path: Path) -> None:
    p = tmp_path / "bad.csv"
    p.write_text("ts,target,total_ms\n2026-01-01T00:00:00Z,http://a/,fast\n")
    with pytest.raises(DataFormatError, match=r"bad\.csv.*total_ms") as info:
        read_probes(p)
    assert isinstance(info.value, ApiprobeError) and isinstance(info.value, ValueError)


def test_corrupt_parquet(tmp_path: Path) -> None:
    p = tmp_path / "corrupt.parquet"
    p.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(DataFormatError, match=r"corrupt\.parquet"):
        read_probes(p)


def test_parquet_round_trip_of_events_with_struct_attrs(tmp_path: Path) -> None:
    from apiprobe.load.logs import parse_logs

    events = parse_logs(
        '{"level":"info","ts":1710410401,"msg":"a","sku":"A1","qty":2}\n'
        '{"level":"warn","ts":1710410402,"msg":"b","sku":"B2"}\n'
    )
    back = pd.read_parquet(write_table(events, tmp_path / "e.parquet"))
    assert back["attrs"].tolist() == [{"sku": "A1", "qty": 2}, {"sku": "B2", "qty": None}]
    assert str(back["status"].dtype) == "Int64" and str(back["ts"].dtype) == "datetime64[ns, UTC]"
