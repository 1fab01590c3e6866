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
from apiprobe.load._logfmt import parse_logfmt
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


# --------------------------------------------------------------------------- files from public repositories


def _go_ms(text: str) -> float:
    """A gin latency ("8.307734ms", "31.209µs") in ms, read independently of the loader."""
    num, unit = re.fullmatch(r"([\d.]+)(µs|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(num) * {"µs": 1e-3, "ms": 1.0, "s": 1e3}[unit]


@pytest.mark.parametrize("name", ["beats-nginx-access.log", "beats-nginx-test.log"])
def test_nginx_lines_from_filebeat_testdata(name: str) -> None:
    """Every line of elastic/beats' nginx test files: forwarded-for lists, a vhost prefix, an empty request."""
    ev, stats = load(name)
    text = lines(name)
    assert stats["dialect"] == "nginx" and (stats["parsed"], stats["unparsed"]) == (len(text), 0)
    ev = ev.sort_values("line_no")
    assert ev["status"].tolist() == [int(re.search(r'" (\d{3}) ', ln).group(1)) for ln in text]  # type: ignore[union-attr]
    assert ev["route"].dropna().tolist() == [m.group(1) for ln in text if (m := re.search(r'"[A-Z]+ (\S+) HTTP', ln))]
    expect_ts = [pd.to_datetime(re.search(r"\[([^\]]+)\]", ln).group(1), format="%d/%b/%Y:%H:%M:%S %z") for ln in text]  # type: ignore[union-attr]
    assert [t.value for t in ev["ts"]] == [t.value for t in expect_ts]
    levels = ["error" if s >= 500 else "warn" if s >= 400 else "info" for s in ev["status"]]
    assert ev["level"].tolist() == levels
    if name == "beats-nginx-test.log":
        peers = [a["client_ip"] for a in ev["attrs"]]
        assert peers == [
            "127.0.0.1",
            "172.17.0.1",
            "85.181.35.98",
            "85.181.35.98",
            "10.2.1.185",
            "10.2.2.121",
            "127.0.0.1",
        ]


def test_envoy_documentation_example() -> None:
    ev, stats = load("envoy-docs-default-format.log")
    assert stats["dialect"] == "envoy" and stats["parsed"] == 1
    row = ev.iloc[0]
    assert (row["status"], row["latency_ms"], row["route"], row["level"]) == (204, 226.0, "/api/v1/locations", "info")
    attrs = row["attrs"]
    assert (attrs["method"], attrs["protocol"], attrs["bytes_received"], attrs["bytes_sent"]) == (
        "POST",
        "HTTP/2",
        154,
        0,
    )
    assert (attrs["upstream_service_time_ms"], attrs["upstream_host"]) == (100.0, "tcp://10.0.2.1:80")
    assert str(row["ts"]) == "2016-04-15 20:17:00.310000+00:00"


def test_gin_example_output_mixed_with_debug_lines_and_app_text() -> None:
    """gin-gonic/examples' otel README: [GIN-debug] warnings and routes, blank lines, app text, one request."""
    ev, stats = load("gin-examples-otel.log")
    text = lines("gin-examples-otel.log")
    debug = [ln for ln in text if ln.startswith("[GIN-debug] ")]
    other = [ln for ln in text if ln.strip() and not ln.startswith("[GIN")]
    assert stats["dialect"] == "gin"
    assert (stats["lines"], stats["blank"]) == (len(text), sum(1 for ln in text if not ln.strip()))
    assert (stats["parsed"], stats["unparsed"]) == (len(debug) + 1, len(other))
    gin = ev[ev["logger"] == "gin"].sort_values("line_no")
    assert gin["level"].tolist() == ["warn" if "[WARNING]" in ln else "debug" for ln in debug]
    assert gin["msg"].iloc[-1] == "Listening and serving HTTP on :8080"
    req = ev[ev["status"].notna()]
    assert req["status"].tolist() == [200] and req["latency_ms"].tolist() == [pytest.approx(_go_ms("31.209µs"))]
    assert sorted(ev.loc[~ev["parse_ok"], "raw"]) == sorted(other)


def test_gin_unquoted_paths_between_app_lines() -> None:
    """gin-gonic/examples' ratelimiter README: gin < 1.5 lines between the app's own "[GIN] 10ms" lines."""
    ev, stats = load("gin-examples-ratelimiter.log")
    text = lines("gin-examples-ratelimiter.log")
    requests = [ln for ln in text if re.match(r"\[GIN\] \d{4}/", ln)]
    assert stats["dialect"] == "gin" and (stats["parsed"], stats["unparsed"]) == (
        len(requests),
        len(text) - len(requests),
    )
    req = ev[ev["parse_ok"]].sort_values("line_no")
    assert req["route"].tolist() == ["/rate"] * len(requests) and req["status"].tolist() == [200] * len(requests)
    expected = [_go_ms(re.search(r"\|\s+(\S+)\s+\|\s+127", ln).group(1)) for ln in requests]  # type: ignore[union-attr]
    assert req["latency_ms"].tolist() == pytest.approx(expected)
    assert set(ev.loc[~ev["parse_ok"], "raw"]) == {"[GIN] 10ms"}


ZAP_EVENTS = [  # what generate/main.go logs, in order: (level, logger suffix, msg, status, latency ms)
    ("info", "", "server started", None, None),
    ("info", "http", "request", 200, 1.2),
    ("warn", "http", "slow request", 200, 1500.0),
    ("error", "db", "query failed", None, None),
    ("info", "http", "request", 503, None),
    ("debug", "", "cache miss", None, None),
    ("info", "", "no fields", None, None),
    ("info", "", "no caller", None, None),
]


@pytest.mark.parametrize(
    ("name", "events"),
    [
        ("zap-development-go127.log", ZAP_EVENTS),
        ("zap-production-console-go127.log", [e for e in ZAP_EVENTS if e[0] != "debug"]),  # production: info and up
    ],
)
def test_zap_console_written_by_zap(name: str, events: list[tuple[Any, ...]]) -> None:
    ev, stats = load(name)
    text = lines(name)
    records = [ln for ln in text if re.match(r"^\S+\t(?:[A-Z]+|[a-z]+)\t", ln)]
    assert stats["dialect"] == "zap_console"
    assert (stats["parsed"], stats["unparsed"]) == (len(records), len(text) - len(records))  # stack traces: unparsed
    ok = ev[ev["parse_ok"]].sort_values("line_no")
    assert ok["level"].tolist() == [e[0] for e in events] == [ln.split("\t")[1].lower() for ln in records]
    assert ok["msg"].tolist() == [e[2] for e in events]
    assert ok["status"].tolist() == [pd.NA if e[3] is None else e[3] for e in events]
    assert ok["latency_ms"].tolist() == pytest.approx(
        [float("nan") if e[4] is None else e[4] for e in events], nan_ok=True
    )
    prefix = "api." if name.startswith("zap-development") else ""
    loggers = [(prefix + e[1]) if e[1] else prefix.rstrip(".") for e in events]
    assert ok["logger"].fillna("").tolist() == loggers
    assert ok["caller"].notna().tolist() == [e[2] != "no caller" for e in events]
    # the fixed clock: 15:19:06 + 137 ms per event
    start = pd.Timestamp("2024-11-12T15:19:06Z")
    assert [round((t - start).total_seconds() * 1000) for t in ok["ts"]] == [137 * (i + 1) for i in range(len(events))]
    body = ok[ok["status"] == 503]["attrs"].iloc[0]["body"]
    assert body == '{"error":"field \'age\' is required"}'  # a logged response body stays a field


@pytest.mark.parametrize("name", ["zerolog-consolewriter-go127.log", "zerolog-consolewriter-nocolor-go127.log"])
def test_zerolog_console_written_by_zerolog(name: str) -> None:
    ev, stats = load(name)
    assert stats["dialect"] == "zerolog_console" and (stats["parsed"], stats["unparsed"]) == (9, 0)
    ev = ev.sort_values("line_no")
    plain = [re.sub(r"\x1b\[[0-9;]*m", "", ln) for ln in lines(name)]
    words = {"INF": "info", "WRN": "warn", "ERR": "error", "DBG": "debug", "???": None}
    assert ev["level"].tolist() == [
        pd.NA if words[ln.split(" ")[1]] is None else words[ln.split(" ")[1]] for ln in plain
    ]
    assert ev["msg"].tolist() == [
        "server started",
        "request",
        "slow request",
        "query failed",
        "cache miss",
        "upstream answered",
        "created order",
        "no level",
        "",
    ]
    assert ev["status"].tolist() == [pd.NA, 200, 200, pd.NA, pd.NA, 503, 201, pd.NA, pd.NA]
    # zerolog's DurationFieldUnit is the millisecond: latency=1.2, latency=1500, elapsed=2345
    assert ev["latency_ms"].tolist() == pytest.approx(
        [float("nan"), 1.2, 1500.0, float("nan"), float("nan"), float("nan"), float("nan"), float("nan"), 2345.0],
        nan_ok=True,
    )
    assert ev["error"].dropna().tolist() == ["pq: connection refused", "context deadline exceeded"]
    assert ev["caller"].dropna().tolist() == ["gen/main.go:41"]
    assert ev["ts"].isna().all()  # time.Kitchen has no date: kept as text
    assert {a["ts"] for a in ev["attrs"]} == {"3:19PM"}


# --------------------------------------------------------------------------- round trips of generated lines

_WORD = st.from_regex(r"[A-Za-z][A-Za-z0-9_.:/-]{0,15}", fullmatch=True)
_KEY = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(["DEBUG", "INFO", "WARN", "ERROR"]),
    st.lists(_WORD, min_size=1, max_size=5).map(" ".join),
    st.dictionaries(_KEY, st.one_of(st.integers(-(10**9), 10**9), _WORD), max_size=4),
    st.booleans(),
)
def test_generated_zap_console_lines_round_trip(level: str, msg: str, fields: dict[str, Any], epoch: bool) -> None:
    import json

    ts = "1.731424746274e+09" if epoch else "2024-11-12T15:19:06.274Z"
    tail = f"\t{json.dumps(fields)}" if fields else ""
    rec = parse_text_line("zap_console", f"{ts}\t{level}\tapi.http\th/handler.go:42\t{msg}{tail}")
    assert rec is not None
    assert (rec["level"], rec["msg"], rec["logger"], rec["caller"]) == (
        level.lower(),
        msg,
        "api.http",
        "h/handler.go:42",
    )
    positional = ("ts", "level", "msg", "logger", "caller")  # the tab-separated parts win over same-named fields
    assert {k: rec[k] for k in fields if k not in positional} == {
        k: v for k, v in fields.items() if k not in positional
    }
    assert pd.Timestamp(rec["ts"]).tz_convert("UTC") == pd.Timestamp("2024-11-12T15:19:06.274Z")


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(list({"TRC": "trace", "DBG": "debug", "INF": "info", "WRN": "warn", "ERR": "error"}.items())),
    st.lists(_WORD.filter(lambda w: "=" not in w), min_size=1, max_size=5).map(" ".join),
    st.dictionaries(_KEY, st.one_of(_WORD, st.text(max_size=20)), max_size=4),
    st.booleans(),
)
def test_generated_zerolog_console_lines_round_trip(
    level: tuple[str, str], msg: str, fields: dict[str, str], colour: bool
) -> None:
    import json

    def value(v: str) -> str:  # ConsoleWriter quotes a value that needs it (strconv.Quote; JSON for these)
        return json.dumps(v) if not v or re.search(r"[\s\"\\=]", v) or not v.isprintable() else v

    def paint(text: str, code: int) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if colour else text

    pairs = " ".join(f"{paint(k + '=', 36)}{value(v)}" for k, v in sorted(fields.items()))
    line = f"{paint('3:04PM', 90)} {paint(level[0], 32)} {paint(msg, 1)}" + (f" {pairs}" if pairs else "")
    rec = parse_text_line("zerolog_console", line)
    assert rec is not None and (rec["level"], rec["msg"], rec["ts"]) == (level[1], msg, "3:04PM")
    assert {k: rec[k] for k in fields} == fields


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(["", "payments: ", "[svc] "]),
    st.booleans(),
    st.sampled_from(["", ".123456"]),
    st.sampled_from([None, "main.go:12", "/src/app/internal/db/pool.go:120"]),
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=60).filter(
        lambda s: (
            not re.match(r"\[?(?:TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL|PANIC)\]?:?\s", s, re.I) and s.strip() == s
        )
    ),
)
def test_generated_go_log_lines_round_trip(
    prefix: str, msgprefix: bool, micro: str, caller: str | None, msg: str
) -> None:
    # log.Lmsgprefix moves the prefix from the line start to just before the message
    head = f"2009/11/10 23:00:00{micro} " + (f"{caller}: " if caller else "")
    line = f"{head}{prefix}{msg}" if msgprefix else f"{prefix}{head}{msg}"
    rec = parse_text_line("stdlog", line)
    assert rec is not None and rec["ts"] == f"2009-11-10T23:00:00{micro}"
    assert rec.get("caller") == caller
    if msgprefix:
        assert rec["msg"] == f"{prefix}{msg}"
    else:
        assert rec["msg"] == msg and rec.get("logger") == (prefix.strip().rstrip(":") or None)


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(["10.0.0.1", "2001:db8::1", "10.0.0.2, 10.0.0.1, 127.0.0.1"]),
    st.sampled_from(["GET", "POST", "PUT"]),
    st.from_regex(r"/[a-z0-9/_.%?=&-]{0,40}", fullmatch=True),
    st.integers(100, 599),
    st.integers(0, 10**9),
    st.sampled_from(["-", "https://example.com/"]),
    st.from_regex(r"[A-Za-z0-9/.;() _-]{1,60}", fullmatch=True),
)
def test_generated_nginx_combined_lines_round_trip(
    addr: str, method: str, path: str, status: int, size: int, referer: str, agent: str
) -> None:
    line = f'{addr} - - [12/Nov/2024:15:19:06 +0100] "{method} {path} HTTP/1.1" {status} {size} "{referer}" "{agent}"'
    rec = parse_text_line("nginx", line)
    assert rec is not None
    assert (rec["status"], rec["method"], rec["path"], rec["bytes"]) == (status, method, path, size)
    assert rec["client_ip"] == addr.split(", ")[-1] and rec.get("user_agent", "-") == agent  # "-": none
    assert pd.Timestamp(rec["ts"]) == pd.Timestamp("2024-11-12T14:19:06Z")
    assert rec["level"] == ("error" if status >= 500 else "warn" if status >= 400 else "info")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_logfmt_or_none(line: str) -> None:
    rec = parse_logfmt(line)
    assert rec is None or isinstance(rec, dict)


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        _KEY,
        st.one_of(_WORD, st.text(st.characters(blacklist_categories=("Cs",)), max_size=30), st.just(True)),
        min_size=1,
        max_size=6,
    ),
    st.sampled_from(["level", "msg", "time"]),
)
def test_generated_logfmt_lines_round_trip(fields: dict[str, Any], marker: str) -> None:
    """logrus/slog text handlers write bare values when they can, else strconv.Quote (JSON-compatible here)."""
    import json

    fields = {marker: "x", **fields} if fields.get(marker) in (None, True) else fields
    if sum(v is True for v in fields.values()) * 2 > len(fields):
        fields = {k: "v" if v is True else v for k, v in fields.items()}

    def value(v: str) -> str:
        return json.dumps(v) if not v or re.search(r'[\s"\\=]', v) or not v.isprintable() else v

    line = " ".join(k if v is True else f"{k}={value(v)}" for k, v in fields.items())
    assert parse_logfmt(line) == fields
