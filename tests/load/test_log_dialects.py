"""The plain-text dialects (zap/zerolog console, gin, Go's log, nginx, Envoy) on real-shaped files,
Go's own log output under each toolchain, and properties of the line parsers."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apiprobe.load._log_text_dialects import TEXT_DIALECTS, parse_text_line
from apiprobe.load.logs import parse_logs, read_logs, summarize_log_sources

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "realworld" / "logs"
GO_SRC = Path(__file__).with_name("go") / "stdlog.go"


def load(name: str) -> Any:
    ev = read_logs(REAL / name)
    return ev, summarize_log_sources(ev).iloc[0]


def lines(name: str) -> list[str]:
    return (REAL / name).read_text().splitlines()


def test_gin_default_logger() -> None:
    ev, stats = load("gin-default-logger.log")
    text = lines("gin-default-logger.log")
    requests = [ln for ln in text if ln.startswith("[GIN] ")]
    debug = [ln for ln in text if ln.startswith("[GIN-")]
    assert stats["dialect"] == "gin" and stats["unparsed"] == 1  # "Error #01: ..." is kept, unparsed
    req = ev[ev["status"].notna()].sort_values("line_no")
    assert len(req) == len(requests) and len(ev[ev["logger"] == "gin"]) == len(debug)
    assert req["status"].tolist() == [int(re.search(r"\| (\d{3}) \|", ln).group(1)) for ln in requests]
    assert req["route"].tolist() == [
        "/user/login",
        "/events/github",
        "/ping",
        "/v1/orders/7",
        "/favicon.ico",
        "/v1/orders",
    ]
    assert req["latency_ms"].round(5).tolist() == [0.26633, 7.3981, 0.9532, 1500.342, 0.0051, 12.045]
    assert req["level"].tolist() == ["info", "warn", "info", "error", "warn", "error"]


def test_zap_console() -> None:
    ev, stats = load("zap-console.log")
    assert stats["dialect"] == "zap_console" and stats["unparsed"] == 4  # the stack trace lines
    ok = ev[ev["parse_ok"]].sort_values("line_no")
    assert ok["level"].tolist() == ["info", "info", "warn", "error", "info", "debug"]
    assert ok["caller"].tolist()[:4] == [
        "server/main.go:42",
        "http/handler.go:88",
        "http/handler.go:91",
        "db/pool.go:120",
    ]
    assert ok["logger"].tolist()[:4] == ["api", "api.http", "api.http", "api.db"]
    assert ok["status"].tolist()[1:3] == [200, 200] and ok["latency_ms"].tolist()[1:3] == [1.2, 1500.0]
    assert ok["error"].iloc[3] == "pq: connection refused"
    assert str(ok["ts"].iloc[4]) == "2024-11-12 15:19:08.500000+00:00"  # epoch seconds as zap writes them
    assert ok["ts"].notna().all()


def test_zerolog_console_with_colours() -> None:
    ev, stats = load("zerolog-console.log")
    assert stats["dialect"] == "zerolog_console" and stats["unparsed"] == 0
    ok = ev.sort_values("line_no")
    assert ok["level"].tolist() == ["info", "info", "warn", "error", "debug", "info"]
    assert ok["msg"].tolist()[:4] == ["server started", "request", "slow request", "query failed"]
    assert ok["error"].iloc[3] == "pq: connection refused" and ok["caller"].iloc[1] == "handler.go:88"
    assert ok["latency_ms"].tolist()[1:3] == [1.2, 1500.0]
    assert ok["ts"].isna().sum() == 5 and ok["ts"].iloc[5].year == 2024  # "3:19PM" has no date: NaT, kept


def test_nginx_combined() -> None:
    ev, stats = load("nginx-combined.log")
    assert stats["dialect"] == "nginx" and stats["parsed"] == len(lines("nginx-combined.log"))
    ev = ev.sort_values("line_no")
    assert ev["status"].tolist() == [200, 502, 201, 504, 400]
    assert ev["level"].tolist() == ["info", "error", "info", "error", "warn"]
    assert str(ev["ts"].iloc[2]) == "2024-11-12 14:19:08+00:00"  # +0100 local time, in UTC
    assert ev["latency_ms"].iloc[2] == pytest.approx(153.0) and ev["latency_ms"].iloc[3] == pytest.approx(60001.0)


def test_envoy_default_format() -> None:
    ev, stats = load("envoy-default.log")
    assert stats["dialect"] == "envoy" and stats["unparsed"] == 0
    ev = ev.sort_values("line_no")
    assert ev["status"].tolist() == [204, 503, 504, 200]
    assert ev["latency_ms"].tolist() == [226.0, 1002.0, 15001.0, 3.0]
    assert ev["level"].tolist() == ["info", "error", "error", "info"]
    flags = [a["response_flags"] for a in ev["attrs"]]
    assert flags == ["-", "UF", "UT", "-"]


def test_go_log_package_under_each_toolchain(go_toolchain: Any, tmp_path: Path) -> None:
    """Lines written by Go's own log package, flag combination by flag combination."""
    (tmp_path / "main.go").write_text(GO_SRC.read_text())
    (tmp_path / "go.mod").write_text("module stdlog\n\ngo 1.19\n")
    out = subprocess.run(
        [go_toolchain.go, "run", "."],
        cwd=tmp_path,
        env=go_toolchain.env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    ev = parse_logs(out.stdout)
    assert summarize_log_sources(ev)["dialect"].tolist() == ["stdlog"] and ev["parse_ok"].all()
    ev = ev.sort_values("line_no")
    assert ev["ts"].notna().all()
    assert ev["msg"].tolist() == [
        "server started on :8080",
        "dial tcp 10.0.0.7:5432: connect: connection refused",
        "upstream timeout after 2s",
        "retrying charge 42",
        "payments: pool exhausted (20/20 in use)",
    ]
    assert ev["level"].tolist()[2:4] == ["error", "warn"]
    callers = ev["caller"]
    assert pd.isna(callers.iloc[0])  # LstdFlags alone: no file
    assert re.fullmatch(r"main\.go:\d+", callers.iloc[1])  # Lshortfile
    assert re.fullmatch(r"/.*/main\.go:\d+", callers.iloc[2])  # Llongfile
    assert ev["logger"].iloc[3] == "payments"


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(TEXT_DIALECTS), st.text(max_size=300))
def test_any_line_is_a_record_or_none(dialect: str, line: str) -> None:
    rec = parse_text_line(dialect, line)
    assert rec is None or isinstance(rec, dict)


@settings(max_examples=100, deadline=None)
@given(
    st.integers(100, 599),
    st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
    st.from_regex(r"/[a-z0-9/_-]{0,30}", fullmatch=True),
    st.integers(0, 10**6),
    st.booleans(),
)
def test_generated_gin_and_envoy_lines_round_trip(
    status: int, method: str, path: str, micros: int, quoted: bool
) -> None:
    p = f'"{path}"' if quoted else path
    gin = f"[GIN] 2024/11/12 - 15:19:06 | {status} | {micros}µs |   10.0.0.1 | {method:<8} {p}"
    rec = parse_text_line("gin", gin)
    assert rec is not None and (rec["status"], rec["method"], rec["path"]) == (status, method, path)
    envoy = (
        f'[2024-11-12T15:19:06.000Z] "{method} {path} HTTP/1.1" {status} - 0 10 {micros} - '
        '"10.0.0.1" "curl/8" "id-1" "svc" "10.0.0.2:80"'
    )
    rec = parse_text_line("envoy", envoy)
    assert rec is not None and (rec["status"], rec["path"], rec["latency_ms"]) == (status, path, float(micros))
