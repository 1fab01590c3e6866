"""Log loading: every dialect, every time form, nothing lost, both read paths."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from apiprobe.errors import ApiprobeError, DataFormatError, InvalidParameterError
from apiprobe.load._jsonlines import count_lines, iter_file_chunks, iter_line_chunks
from apiprobe.load._log_file import load_stream as _load_stream
from apiprobe.load._logfmt import parse_logfmt
from apiprobe.load.logs import (
    _finish,
    detect_dialect,
    parse_go_duration,
    parse_logs,
    read_logs,
    summarize_log_sources,
)
from apiprobe.schema import validate

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "logs"

# Lines as each library writes them (its documented production/default output).
ZAP = (
    '{"level":"info","ts":1710410401.5,"logger":"http","caller":"server/handler.go:88",'
    '"msg":"request","method":"GET","route":"/api/checkout","status":200,"latency":0.0125,'
    '"trace_id":"4BF92F3577B34DA6A3CE929D0E0E4736","span_id":"00f067aa0ba902b7"}\n'
    '{"level":"error","ts":1710410402.25,"logger":"http","caller":"server/handler.go:97",'
    '"msg":"upstream failed","error":"Post \\"http://payments:8080/v1/charge\\": context deadline '
    'exceeded (Client.Timeout exceeded while awaiting headers)","status":504,"latency":2.001,'
    '"stacktrace":"main.handle\\n\\t/src/main.go:97"}\n'
    '{"level":"dpanic","ts":1710410403,"msg":"invariant broken"}\n'
)
ZEROLOG = (
    '{"level":"info","service":"orders","trace_id":"abc123","time":"2024-03-14T10:00:01Z",'
    '"message":"charge sent","attempt":2,"duration_ms":41.5}\n'
    '{"level":"error","error":"pg: connection pool timeout","time":"2024-03-14T10:00:02+01:00",'
    '"message":"charge failed","caller":"/src/orders/pay.go:55"}\n'
)
LOGRUS_JSON = (
    '{"level":"warning","msg":"token expired","time":"2024-03-14T10:00:01.5Z","X-Trace-ID":"T1",'
    '"func":"main.auth","file":"/src/auth.go:12","status":403}\n'
    '{"level":"panic","msg":"boom","time":"2024-03-14T10:00:03Z"}\n'
)
LOGRUS_TEXT = (
    'time="2024-03-14T10:00:01Z" level=warning msg="charge failed" error="pg: connection pool timeout" '
    "traceID=ABC route=/v1/charge status=503 latency_ms=12.5\n"
    'time="2024-03-14T10:00:02Z" level=info msg="said \\"hi\\"\\tthere" latency=1.5s\n'
)
SLOG_JSON = (
    '{"time":"2024-03-14T10:00:01.123456789Z","level":"INFO+2","msg":"notice",'
    '"source":{"function":"main.f","file":"/src/inv.go","line":42},"trace.id":"t9","latency":1500000}\n'
    '{"time":"2024-03-14T11:00:02.5+01:00","level":"WARN-1","msg":"between"}\n'
    '{"time":"2024-03-14T10:00:03Z","level":"ERROR","msg":"failed","err":"EOF"}\n'
)
SLOG_TEXT = (
    'time=2024-03-14T10:00:01.000Z level=INFO msg="stock checked" sku=A1 latency=350µs\n'
    "time=2024-03-14T10:00:02.000Z level=DEBUG+1 msg=detail\n"
)
GOKIT = (
    'ts=2024-03-14T10:00:01.123Z level=info caller=billing.go:42 msg="invoice created" took=3ms\n'
    'ts=2024-03-14T10:00:02.000Z level=error caller=billing.go:48 err="connection reset by peer"\n'
)


def _one(text: str, **kw: object) -> pd.DataFrame:
    df = parse_logs(text, **kw)  # type: ignore[arg-type]
    validate(df, "events")
    return df


@pytest.mark.parametrize(
    ("text", "dialect"),
    [
        (ZAP, "zap"),
        (ZEROLOG, "zerolog"),
        (LOGRUS_JSON, "logrus_json"),
        (LOGRUS_TEXT, "logrus_text"),
        (SLOG_JSON, "slog_json"),
        (SLOG_TEXT, "slog_text"),
        (GOKIT, "logfmt"),
        ('{"when":1,"what":"x"}\n', "json"),
        ("2024-03-14 10:00:01 INFO started\n", "text"),
    ],
)
def test_dialect_detection(text: str, dialect: str) -> None:
    assert detect_dialect(text.splitlines()) == dialect
    assert summarize_log_sources(_one(text))["dialect"].tolist() == [dialect]


def test_zap_production_json() -> None:
    df = _one(ZAP, service="gateway")
    assert df["level"].tolist() == ["info", "error", "fatal"]
    assert df["ts"].iloc[0] == pd.Timestamp("2024-03-14T10:00:01.5Z")
    assert df["latency_ms"].iloc[:2].tolist() == pytest.approx([12.5, 2001.0])  # zap: seconds
    assert df["trace_id"].iloc[0] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert df["status"].tolist()[:2] == [200, 504]
    assert df["caller"].iloc[0] == "server/handler.go:88"
    assert df["error"].iloc[1].startswith('Post "http://payments:8080/v1/charge"')
    assert df["service"].unique().tolist() == ["gateway"]
    assert df["attrs"].iloc[0]["method"] == "GET"
    assert df["attrs"].iloc[1]["stacktrace"].startswith("main.handle")
    assert df["parse_ok"].all()


def test_zerolog_keys_and_offsets() -> None:
    df = _one(ZEROLOG)
    assert df["msg"].tolist() == ["charge failed", "charge sent"]  # 09:00:02Z sorts first
    assert df["ts"].tolist() == [pd.Timestamp("2024-03-14T09:00:02Z"), pd.Timestamp("2024-03-14T10:00:01Z")]
    sent = df.iloc[1]
    assert (sent["service"], sent["attempt"], sent["latency_ms"]) == ("orders", 2, 41.5)
    assert df["caller"].iloc[0] == "/src/orders/pay.go:55"


def test_logrus_json_levels_and_trace_key() -> None:
    df = _one(LOGRUS_JSON)
    assert df["level"].tolist() == ["warn", "fatal"]
    assert df["trace_id"].iloc[0] == "t1"
    assert df["caller"].iloc[0] == "/src/auth.go:12"
    assert df["status"].iloc[0] == 403


def test_logrus_text_quoting_and_durations() -> None:
    df = _one(LOGRUS_TEXT)
    assert df["level"].tolist() == ["warn", "info"]
    assert df["error"].iloc[0] == "pg: connection pool timeout"
    assert df["msg"].iloc[1] == 'said "hi"\tthere'
    assert df["latency_ms"].tolist() == [12.5, 1500.0]
    assert df["status"].iloc[0] == 503
    assert df["route"].iloc[0] == "/v1/charge"


def test_slog_json_levels_source_and_nanosecond_durations() -> None:
    df = _one(SLOG_JSON)
    assert df["level"].tolist() == ["info", "info", "error"]  # INFO+2 → info, WARN-1 → info
    assert df["ts"].iloc[0] == pd.Timestamp("2024-03-14T10:00:01.123456789Z")
    assert df["ts"].iloc[1] == pd.Timestamp("2024-03-14T10:00:02.5Z")
    assert df["caller"].iloc[0] == "/src/inv.go:42"
    assert df["latency_ms"].iloc[0] == pytest.approx(1.5)  # slog JSON: int nanoseconds
    assert df["trace_id"].iloc[0] == "t9"
    assert df["error"].iloc[2] == "EOF"


def test_slog_text_and_gokit() -> None:
    slog = _one(SLOG_TEXT)
    assert slog["level"].tolist() == ["info", "debug"]
    assert slog["latency_ms"].iloc[0] == pytest.approx(0.35)
    kit = _one(GOKIT)
    assert kit["caller"].tolist() == ["billing.go:42", "billing.go:48"]
    assert kit["latency_ms"].iloc[0] == 3.0
    assert kit["error"].iloc[1] == "connection reset by peer"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('{"ts":1710410401,"msg":"s"}', "2024-03-14T10:00:01Z"),
        ('{"ts":1710410401500,"msg":"ms"}', "2024-03-14T10:00:01.5Z"),
        ('{"ts":1710410401500000,"msg":"us"}', "2024-03-14T10:00:01.5Z"),
        ('{"ts":1710410401500000000,"msg":"ns"}', "2024-03-14T10:00:01.5Z"),
        ('{"time":"2024-03-14T12:00:01+02:00","msg":"offset"}', "2024-03-14T10:00:01Z"),
        ('{"time":"2024-03-14T10:00:01.000000001Z","msg":"nanos"}', "2024-03-14T10:00:01.000000001Z"),
        ('{"time":"2024-03-14 10:00:01.25 +0000 UTC","msg":"go time.String"}', "2024-03-14T10:00:01.25Z"),
        ('{"time":"1710410401","msg":"quoted epoch"}', "2024-03-14T10:00:01Z"),
        ("2024/03/14 10:00:01 go std log", "2024-03-14T10:00:01Z"),
    ],
)
def test_time_forms(line: str, expected: str) -> None:
    assert _one(line)["ts"].iloc[0] == pd.Timestamp(expected)


def test_clock_only_time_stays_nat_and_is_kept() -> None:
    df = _one('{"time":"5:41PM","level":"info","message":"Starting"}\n')
    assert pd.isna(df["ts"].iloc[0])
    assert df["attrs"].iloc[0]["time"] == "5:41PM"


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("1m2.5s", 62500.0),
        ("350µs", 0.35),
        ("1h", 3.6e6),
        ("-2ms", -2.0),
        ("0", 0.0),
        ("12", float("nan")),
        ("x", float("nan")),
    ],
)
def test_parse_go_duration(text: str, ms: float) -> None:
    assert parse_go_duration(text) == pytest.approx(ms, nan_ok=True)


def test_logfmt_parser() -> None:
    assert parse_logfmt('level=info msg="a \\"b\\"" flag n=') == {
        "level": "info",
        "msg": 'a "b"',
        "flag": True,
        "n": "",
    }
    assert parse_logfmt("\tmain.main()") is None
    assert parse_logfmt("a=1 b=2") is None  # no time, level or message key
    assert parse_logfmt('level=info msg="unterminated') is None


def test_nothing_lost_with_garbage_truncation_and_binary() -> None:
    lines = [
        '{"level":"info","ts":1710410401,"msg":"first"}',
        "panic: runtime error: invalid memory address or nil pointer dereference",
        "goroutine 1 [running]:",
        '{"level":"info","ts":1710410402,"msg":"trunc',
        "",
        '{"level":"info","ts":1710410403,"msg":"ok"}  ',
        '{"level":"info","ts":1710410404,"msg":"bad" "x"}',
        '{"level":"info","ts":1710410405,"msg":"last"}',
    ]
    data = "\n".join(lines).encode() + b"\n\x00\xff\xfe binary\n"
    df = parse_logs(data, source="svc.log")
    stats = summarize_log_sources(df).iloc[0]
    assert (stats["lines"], stats["blank"], stats["parsed"], stats["unparsed"]) == (9, 1, 3, 5)
    assert len(df) == 8 and df["line_no"].tolist() == [1, 6, 8, 2, 3, 4, 7, 9]  # untimed lines last
    bad = df[~df["parse_ok"]]
    assert bad["raw"].iloc[0].startswith("panic: runtime error")
    assert bad["raw"].iloc[-1] == "\x00\\xff\\xfe binary"  # undecodable bytes escaped, not dropped
    assert df["raw"][df["parse_ok"]].isna().all()
    assert df["service"].eq("svc").all()


def test_type_clash_between_lines_keeps_every_line() -> None:
    text = '{"ts":1,"msg":"a","code":7}\n{"ts":2,"msg":"b","code":"E7"}\n{"ts":3,"msg":"c","code":{"x":1}}\n'
    df = _one(text)
    assert df["parse_ok"].all() and len(df) == 3
    assert [a["code"] for a in df["attrs"]] == ["7", "E7", '{"x": 1}']


def test_mixed_dialects_in_one_file() -> None:
    text = ZAP + LOGRUS_TEXT + "just a line without structure\n"
    df = _one(text)
    assert summarize_log_sources(df)["dialect"].tolist() == ["zap"]
    assert df["parse_ok"].sum() == 5
    assert df.loc[~df["parse_ok"], "raw"].tolist() == ["just a line without structure"]


def test_encodings(tmp_path: Path) -> None:
    text = 'time="2024-03-14T10:00:01Z" level=info msg="café ✓"\n'
    (tmp_path / "u16.log").write_bytes(text.encode("utf-16"))
    (tmp_path / "bom.log").write_bytes(b"\xef\xbb\xbf" + text.encode())
    (tmp_path / "latin1.log").write_bytes(text.replace(" ✓", "").encode("latin-1"))
    df = read_logs(tmp_path)
    assert len(df) == 3 and df["parse_ok"].all()
    by = dict(zip(df["source_file"].map(lambda p: Path(p).name), df["msg"], strict=True))
    assert by["u16.log"] == by["bom.log"] == "café ✓"
    assert by["latin1.log"].startswith("caf")


def test_read_folder_glob_gzip_merge_and_service(tmp_path: Path) -> None:
    (tmp_path / "gateway.json.log").write_text(ZAP)
    with gzip.open(tmp_path / "orders.log.gz", "wt") as fh:
        fh.write(ZEROLOG)
    (tmp_path / "payments.log").write_text(LOGRUS_TEXT)
    folder = read_logs(tmp_path)
    validate(folder, "events")
    assert len(folder) == 7
    assert folder["ts"].is_monotonic_increasing
    assert set(folder["service"]) == {"gateway", "orders", "payments"}  # orders from its field
    stats = summarize_log_sources(folder).set_index(
        summarize_log_sources(folder)["source_file"].map(lambda p: Path(p).name)
    )
    assert stats.loc["orders.log.gz", "dialect"] == "zerolog"
    globbed = read_logs(str(tmp_path / "*.log"))
    assert sorted(set(globbed["service"])) == ["gateway", "payments"]
    named = read_logs([tmp_path / "payments.log"], service="pay")
    assert named["service"].eq("pay").all()


def test_sort_is_stable_and_untimed_lines_go_last_in_file_order(tmp_path: Path) -> None:
    a = '{"ts":10,"msg":"a1"}\n{"ts":30,"msg":"a3"}\nstack line\n{"ts":20,"msg":"a2"}\n{"ts":20,"msg":"a2b"}\n'
    b = 'other stack\n{"ts":20,"msg":"b2"}\n{"ts":30,"msg":"b3"}\n'
    (tmp_path / "a.log").write_text(a)
    (tmp_path / "b.log").write_text(b)
    df = read_logs(tmp_path)
    order = [m if isinstance(m, str) else r for m, r in zip(df["msg"], df["raw"], strict=True)]
    assert order == ["a1", "a2", "a2b", "b2", "a3", "b3", "stack line", "other stack"]
    in_file = df.sort_values(["source_file", "line_no"])
    assert in_file["line_no"].tolist() == [1, 2, 3, 4, 5, 1, 2, 3]
    one = parse_logs(a)  # one file in time order but for the untimed line: no reordering needed
    assert one["line_no"].tolist() == [1, 4, 5, 2, 3]


def test_since_until(tmp_path: Path) -> None:
    df = parse_logs(ZAP, since="2024-03-14T10:00:02Z", until=pd.Timestamp("2024-03-14T10:00:03Z"))
    assert df["msg"].tolist() == ["upstream failed"]


def test_regex_dialect_on_plain_text() -> None:
    text = "2024-03-14 10:00:01 [WARN] req=42 slow upstream\nnot matching\n"
    df = _one(text, regex=r"^(?P<ts>\S+ \S+) \[(?P<level>\w+)\] req=(?P<request_id>\d+) (?P<msg>.*)$")
    assert df["level"].iloc[0] == "warn"
    assert df["attrs"].iloc[0]["request_id"] == "42"
    assert df["parse_ok"].tolist() == [True, False]


def test_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="no such file"):
        read_logs(tmp_path / "missing.log")
    (tmp_path / "x.log").write_text(ZAP)
    with pytest.raises(InvalidParameterError, match="unknown log format 'bunyan'"):
        read_logs(tmp_path / "x.log", format="bunyan")
    with pytest.raises(InvalidParameterError, match="no named groups"):
        read_logs(tmp_path / "x.log", regex=r"\d+")
    (tmp_path / "broken.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(ApiprobeError, match=r"broken\.gz"):
        read_logs(tmp_path / "broken.gz")


def test_empty_inputs(tmp_path: Path) -> None:
    (tmp_path / "empty.log").write_text("")
    df = read_logs(tmp_path / "empty.log")
    validate(df, "events")
    assert df.empty and summarize_log_sources(df)["lines"].tolist() == [0]


def _big_lines(n: int, garbage_every: int = 0) -> bytes:
    out = []
    for i in range(n):
        if garbage_every and i % garbage_every == 3:
            out.append("goroutine 7 [select]:")
        else:
            out.append(json.dumps({"level": "info", "ts": 1710410401 + i / 1000, "msg": f"m{i}", "i": i}))
    return ("\n".join(out) + "\n").encode()


def test_whole_file_and_chunked_paths_agree(tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    path.write_bytes(_big_lines(3000))

    def load(whole: bool) -> pd.DataFrame:
        with open(path, "rb") as fh:
            loaded = _load_stream(
                fh,
                source=str(path),
                format="auto",
                service=None,
                default_service="big",
                regex=None,
                whole_file=str(path) if whole else None,
            )
        return _finish([loaded], None, None)

    fast, chunked = load(True), load(False)
    pd.testing.assert_frame_equal(fast, chunked)
    assert fast["line_no"].tolist() == list(range(1, 3001))


def test_line_chunks_straddle_lines_and_number_them() -> None:
    data = _big_lines(200, garbage_every=17).replace(b"\n", b"\r\n", 5)
    chunks = list(iter_line_chunks(io.BytesIO(data), chunk_bytes=97))
    lines = [c.text(i) for c in chunks for i in range(len(c.starts))]
    assert lines == data.decode().replace("\r\n", "\n").splitlines()
    firsts = [c.first_line for c in chunks]
    assert firsts == list(np.cumsum([1] + [len(c.starts) for c in chunks[:-1]]))


def test_garbage_file_counts_match_generator(tmp_path: Path) -> None:
    data = _big_lines(5000, garbage_every=100)
    (tmp_path / "g.log").write_bytes(data)
    df = read_logs(tmp_path / "g.log")
    assert len(df) == 5000
    assert (~df["parse_ok"]).sum() == 50
    assert sorted(df.loc[df["parse_ok"], "attrs"].map(lambda a: a["i"])) == [i for i in range(5000) if i % 100 != 3]


def test_zerolog_corpus_example() -> None:
    path = CORPUS / "zerolog-example.jsonl"
    if not path.exists():
        pytest.skip(f"shared corpus absent: {path}")
    df = read_logs(path)
    validate(df, "events")
    assert summarize_log_sources(df)["dialect"].tolist() == ["zerolog"]
    assert len(df) == 7 and df["parse_ok"].all()
    assert df["level"].tolist() == ["info", "debug", "info", "info", "warn", "info", "error"]
    assert df["error"].iloc[-1] == "connection reset by peer"
    assert df["latency_ms"].dropna().tolist() == [23.0, 532.0, 532.0, 10.0]  # resp_time, zerolog ms
    assert df["ts"].isna().all()  # "5:41PM" has no date; kept in attrs rather than invented
    assert df["attrs"].iloc[0]["time"] == "5:41PM"


def test_loghub_openstack_with_regex() -> None:
    path = CORPUS / "loghub-OpenStack_2k.log"
    if not path.exists():
        pytest.skip(f"shared corpus absent: {path}")
    regex = (
        r"^(?P<logrecord>\S+) (?P<ts>\S+ \S+) (?P<pid>\d+) (?P<level>\w+) (?P<logger>\S+) "
        r"\[(?P<request_id>[^\]]*)\] (?P<msg>.*)$"
    )
    df = read_logs(path, regex=regex)
    assert len(df) == 2000 and df["parse_ok"].all()
    structured = pd.read_csv(str(path) + "_structured.csv")
    assert df.sort_values("line_no")["msg"].tolist() == structured["Content"].tolist()
    assert set(df["level"]) <= {"info", "warn", "error"}
    auto = read_logs(path)  # plain text dialect: time and level found, the rest is the message
    assert summarize_log_sources(auto)["dialect"].tolist() == ["text"] and auto["ts"].notna().all()


@pytest.mark.parametrize("ending", [b"", b"\n", b"\r\n"])
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_mapped_and_streamed_chunks_agree(tmp_path: Path, ending: bytes, bom: bytes) -> None:
    body = _big_lines(300, garbage_every=13).replace(b"\n", b"\r\n", 7).rstrip(b"\n")
    body = body + b"\n" + b"x" * 700 + b"\n\n" + b'{"msg":"last"}' + ending  # a line longer than the window
    path = tmp_path / "f.log"
    path.write_bytes(bom + body)

    def lines(chunks: object) -> list[tuple[int, str]]:
        return [(c.first_line + i, c.text(i)) for c in chunks for i in range(len(c.starts))]  # type: ignore[attr-defined]

    streamed = lines(iter_line_chunks(io.BytesIO(bom + body), chunk_bytes=512))
    mapped = lines(iter_file_chunks(str(path), chunk_bytes=512))
    assert mapped == streamed
    assert [t for _, t in mapped] == body.decode().replace("\r\n", "\n").split("\n")[: len(mapped)]
    assert count_lines(str(path)) == len(mapped)


def test_a_line_longer_than_pyarrows_block_is_parsed(tmp_path: Path) -> None:
    big = json.dumps({"level": "error", "ts": 1710410401, "msg": "dump", "stacktrace": "x" * (3 << 20)})
    path = tmp_path / "big.log"
    path.write_text('{"level":"info","ts":1710410400,"msg":"before"}\n' + big + "\n")
    df = read_logs(path)
    assert df["parse_ok"].all() and df["msg"].tolist() == ["before", "dump"]
    assert len(df["attrs"].iloc[1]["stacktrace"]) == 3 << 20


# Regressions found in review ------------------------------------------------------------


def test_invalid_utf8_inside_json_is_kept_raw_on_both_paths(tmp_path: Path) -> None:
    data = b'{"ts":1700000000,"msg":"a\xff","level":"info"}\n{"ts":1700000001,"msg":"ok"}\n'
    (tmp_path / "u.log").write_bytes(data)
    for df in (parse_logs(data), read_logs(tmp_path / "u.log")):
        assert df["msg"].tolist()[0] == "ok"  # the table is readable
        assert df["raw"].tolist()[1] == '{"ts":1700000000,"msg":"a\\xff","level":"info"}'


def test_epoch_units_are_decided_per_value() -> None:
    df = parse_logs(
        '{"ts":1700000000,"msg":"a"}\n{"ts":1700000001123,"msg":"b"}\n{"ts":1700000002123456789,"msg":"c"}\n'
    )
    assert df["ts"].tolist() == [
        pd.Timestamp("2023-11-14T22:13:20Z"),
        pd.Timestamp("2023-11-14T22:13:21.123Z"),
        pd.Timestamp("2023-11-14T22:13:22.123456789Z"),
    ]
    huge = parse_logs('{"ts":1700000000,"msg":"a"}\n{"ts":99999999999999999999,"msg":"d"}\n')
    assert huge["ts"].notna().tolist() == [True, False] and huge["parse_ok"].all()  # out of range: NaT


def test_plain_text_with_words_like_time_is_text() -> None:
    df = parse_logs(
        "2024/01/02 15:04:05 server started\n"
        "2024/01/02 15:04:06 request took too long, time limit exceeded\n"
        "2024-01-02T15:04:07Z ERROR upstream failed status=502 msg=timeout\n"
    )
    # Go's log package writes 2024/01/02 15:04:05: the file reads as stdlog, the ISO line still as text
    assert summarize_log_sources(df)["dialect"].tolist() == ["stdlog"] and df["parse_ok"].all()
    assert df["ts"].notna().all()
    assert df["level"].isna().tolist() == [True, True, False] and df["level"].iloc[2] == "error"


def test_two_objects_on_one_line_and_blank_lines_keep_line_numbers(tmp_path: Path) -> None:
    a = '{"time":"2024-01-01T00:00:01Z","level":"info","msg":"a"}'
    b = '{"time":"2024-01-01T00:00:02Z","msg":"b"}{"time":"2024-01-01T00:00:03Z","msg":"c"}'
    (tmp_path / "s.log").write_text(a + "\n" + b + "\n\n")
    df = read_logs(tmp_path / "s.log")
    assert df["line_no"].tolist() == [1, 2] and df["parse_ok"].tolist() == [True, False]
    stats = summarize_log_sources(df).iloc[0]
    assert (stats["lines"], stats["blank"], stats["parsed"], stats["unparsed"]) == (3, 1, 1, 1)


def test_whitespace_only_lines_are_blank_in_every_dialect() -> None:
    for text in (
        '{"ts":1700000000,"msg":"a"}\n   \n\t\n{"ts":1700000001,"msg":"b"}\n',
        "ts=1 level=info msg=a\n   \n\t\nts=2 level=info msg=b\n",
    ):
        stats = summarize_log_sources(parse_logs(text)).iloc[0]
        assert (stats["blank"], stats["parsed"], stats["unparsed"]) == (2, 2, 0)


def test_short_aliases_need_their_exact_spelling_and_clashing_aliases_stay_in_attrs() -> None:
    df = parse_logs(
        '{"time":"2024-01-01T00:00:00Z","level":"info","msg":"retry","n":3,"m":"GET","path":"/a","URL":"/b"}\n'
    )
    row = df.iloc[0]
    assert pd.isna(row["logger"]) and row["route"] == "/a"
    assert row["attrs"]["n"] == 3 and row["attrs"]["m"] == "GET" and row["attrs"]["URL"] == "/b"


def test_logrus_json_durations_are_nanoseconds() -> None:
    df = parse_logs('{"time":"2024-01-01T00:00:00Z","level":"warning","msg":"a","duration":1500000}\n')
    assert summarize_log_sources(df)["dialect"].tolist() == ["logrus_json"] and df["latency_ms"].iloc[0] == 1.5


def test_equal_times_keep_line_order() -> None:
    df = parse_logs(
        '{"time":"2024-01-01T00:00:01Z","level":"info","msg":"a"} \n'
        '{"time":"2024-01-01T00:00:01Z","level":"info","msg":"b"}\n'
    )
    assert df["line_no"].tolist() == [1, 2]


def test_a_long_first_line_still_tells_the_dialect(tmp_path: Path) -> None:
    lines = ["2024-01-01 10:00:00 INFO " + "z" * (70 << 10)] + [
        f"2024-01-01 10:00:0{i} INFO hello {i}" for i in range(1, 5)
    ]
    (tmp_path / "l.log").write_text("\n".join(lines) + "\n")
    stats = summarize_log_sources(read_logs(tmp_path / "l.log")).iloc[0]
    assert (stats["dialect"], stats["parsed"]) == ("text", 5)


def test_truncated_gzip_bytes_raise_a_clear_error() -> None:
    cut = gzip.compress(ZAP.encode())[:-12]
    with pytest.raises(DataFormatError, match=r"<lines>: truncated or corrupt gzip"):
        parse_logs(cut)


def test_truncated_gzip_file_keeps_the_lines_before_the_cut(tmp_path: Path) -> None:
    text = "".join(
        json.dumps({"level": "info", "ts": 1710410400 + i, "msg": f"line {i}", "pad": "x" * 200}) + "\n"
        for i in range(3000)
    )
    whole = gzip.compress(text.encode(), mtime=0)
    (tmp_path / "cut.log.gz").write_bytes(whole[: len(whole) // 2])
    with pytest.warns(UserWarning, match="cut or corrupt"):
        df = read_logs(tmp_path / "cut.log.gz")
    stats = summarize_log_sources(df).iloc[0]
    assert 1000 < len(df) < 3000 and "lines before it are kept" in stats["note"]
    parsed = df[df["parse_ok"]]
    assert parsed["msg"].tolist() == [f"line {i}" for i in range(len(parsed))]  # a prefix, in order
    with pytest.warns(UserWarning, match="cut or corrupt"):
        again = read_logs(tmp_path / "cut.log.gz", format="zap")
    assert summarize_log_sources(again).iloc[0]["lines"] == stats["lines"]


@pytest.mark.parametrize(
    "lines",
    [
        # JSON: pyarrow infers a timestamp column in seconds; Go's zero time does not fit nanoseconds
        [
            '{"level":"info","ts":"2026-03-14T10:00:00Z","msg":"ok"}',
            '{"level":"info","ts":"0001-01-01T00:00:00Z","msg":"zero"}',
        ],
        # JSON with mixed precision: the string path, and a year-9999 time
        [
            '{"level":"info","ts":"2026-03-14T10:00:00Z","msg":"ok"}',
            '{"level":"error","ts":"9999-12-31T23:59:59Z","msg":"far"}',
            '{"level":"info","ts":"2026-03-14T10:00:01.5Z","msg":"frac"}',
        ],
        # slog text
        ["time=2026-03-14T10:00:00Z level=INFO msg=ok", "time=0001-01-01T00:00:00Z level=INFO msg=zero"],
    ],
)
def test_times_out_of_range_are_na_and_keep_their_line(lines: list[str]) -> None:
    ev = parse_logs("\n".join(lines), source="zero-time.log")
    assert len(ev) == len(lines) and ev["parse_ok"].all()
    assert ev["ts"].isna().sum() == 1
    untimed = ev[ev["ts"].isna()].iloc[0]
    assert untimed["msg"] in ("zero", "far")
    assert lines[int(untimed["line_no"]) - 1].endswith(("msg=zero", '"msg":"zero"}', '"msg":"far"}'))


def test_misuse_is_a_named_error(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_text('{"level":"info","ts":"2026-03-14T10:00:00Z","msg":"ok"}\n')
    with pytest.raises(InvalidParameterError, match="not a time: 'yesterday-ish'"):
        read_logs(log, since="yesterday-ish")
    with pytest.raises(InvalidParameterError, match="a line is int"):
        parse_logs([1, 2])  # type: ignore[list-item]
    with pytest.raises(InvalidParameterError, match="not a valid regular expression"):
        parse_logs("a=1", format="regex", regex="(?P<msg>[")
    assert parse_logs(['{"msg":"a"}', b'{"msg":"b"}'])["msg"].tolist() == ["a", "b"]


def test_folder_skips_files_of_other_kinds_with_one_warning(tmp_path: Path) -> None:
    """A real incident folder: the six demo logs beside a profile, a chain, a key, a dump, a HAR, a screenshot."""
    import shutil
    import warnings

    from pandas.testing import assert_frame_equal
    from test_sniff import DEMO, write_other_kinds

    folder = tmp_path / "incident"
    folder.mkdir()
    six = sorted((DEMO / "logs").iterdir())
    for f in six:
        shutil.copy(f, folder / f.name)
    others = write_other_kinds(folder)
    alone = read_logs([folder / f.name for f in six])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = read_logs(folder)
    assert_frame_equal(df, alone)  # the same rows: nothing of the other files became a "log line"
    assert summarize_log_sources(df)["source_file"].tolist() == [str(folder / f.name) for f in six]
    said = [str(w.message) for w in caught]
    assert len(said) == 1 and f"skipped {len(others)} file(s) that are not log files" in said[0], said
    for name, reader in others.items():
        assert f"{name} → " in said[0] and f"→ {reader or 'no apiprobe reader'}" in said[0]
    assert "cpu.pb.gz → a gzip-compressed pprof profile → read_pprof" in said[0]
    assert "payments.key → a PEM private key (not evidence; never share it) → no apiprobe reader" in said[0]
    assert {Path(s["file"]).name: s["reader"] for s in df.attrs["skipped"]} == others
    assert all(list(s) == ["file", "kind", "what", "reader"] for s in df.attrs["skipped"])
    assert alone.attrs["skipped"] == []
    with pytest.warns(UserWarning, match=r"skipped 6 file\(s\) .*: checkout\.har → a HAR file → read_har;"):
        globbed = read_logs(str(folder / "*"))  # a glob skips like a folder
    assert len(globbed) == len(alone) and len(globbed.attrs["skipped"]) == len(others)
    with pytest.raises(DataFormatError, match=r"cpu\.pb\.gz: this is a gzip-compressed pprof profile, not a log file"):
        read_logs([folder / "auth.log", folder / "cpu.pb.gz"])  # named explicitly: refused
    only = tmp_path / "no-logs"
    write_other_kinds(only)
    with pytest.raises(DataFormatError, match=f"no log file among {len(others)}: ") as err:
        read_logs(only)
    assert "goroutines.txt → a goroutine dump (debug=2) → read_goroutines" in str(err.value)
