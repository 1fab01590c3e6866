"""The demo triage folder (``data/demo/incident``) tells the story the triage tests rely on.

The logs are read with json/gzip/re (these tests pin the data, not a parser); the
goroutine dump, the profiles and the certificates go through apiprobe's loaders,
since the point is that apiprobe reads (or refuses) them as the folder promises.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import re
import struct
import zlib
from datetime import datetime
from pathlib import Path
from statistics import median

import pytest

from apiprobe.analyze.pool import detect_pool_exhaustion
from apiprobe.analyze.tls import diagnose_chain
from apiprobe.demo import (
    DEMO_CLOCK_SKEW,
    DEMO_LOG_COVER,
    DEMO_TRIAGE_FILES,
    demo_cpu_profile,
    demo_incident_files,
    write_demo_triage_folder,
)
from apiprobe.demo._payments_dump import PAYMENTS_DUMP_TIME, demo_payments_goroutine_dump
from apiprobe.demo._profiles import demo_heap_profile
from apiprobe.demo._triage_extras import demo_root_ca_pem
from apiprobe.errors import DataFormatError, InvalidParameterError, ProfileFormatError
from apiprobe.load.certs import read_certificates
from apiprobe.load.goroutines import read_goroutines
from apiprobe.load.logs import read_logs, summarize_log_sources
from apiprobe.load.pprof import parse_pprof, read_pprof

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "data" / "demo" / "incident"


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("incident")
    write_demo_triage_folder(out)
    return out


def _text(folder: Path, name: str) -> str:
    data = (folder / DEMO_TRIAGE_FILES[name]).read_bytes()
    if DEMO_TRIAGE_FILES[name].endswith(".gz"):
        data = gzip.decompress(data)
    return data.decode("utf-8")


def _first_last(times: list[float]) -> tuple[float, float]:
    return min(times), max(times)


def _billing(folder: Path) -> list[tuple[float, str]]:
    """(ts, order_id) of billing's invoice lines (go-kit logfmt, RFC 3339 nano)."""
    out = []
    for line in _text(folder, "log_billing").splitlines():
        m = re.match(r"ts=(\S+) .* order_id=(\S+)", line)
        assert m, line
        out.append((_epoch(m.group(1)), m.group(2)))
    return out


# -- the folder as a whole -------------------------------------------------------------------------


def test_layout_and_size(folder: Path) -> None:
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert files == sorted(DEMO_TRIAGE_FILES.values())
    assert len({Path(p).parent for p in files}) >= 5  # a few sub-folders, not one flat list
    assert sum((folder / p).stat().st_size for p in files) < 2_000_000
    for rel in files:
        if rel.endswith(".gz") and rel != DEMO_TRIAGE_FILES["heap_profile"]:
            raw = (folder / rel).read_bytes()
            assert raw[4:8] == b"\0\0\0\0", rel  # gzip mtime 0: byte-stable
            gzip.decompress(raw)


def test_same_bytes_every_time(folder: Path, tmp_path: Path) -> None:
    again = write_demo_triage_folder(tmp_path)
    for name, path in again.items():
        assert path.read_bytes() == (folder / DEMO_TRIAGE_FILES[name]).read_bytes(), name


def test_committed_folder_matches_the_generator(folder: Path) -> None:
    committed = sorted(p.relative_to(COMMITTED).as_posix() for p in COMMITTED.rglob("*") if p.is_file())
    assert committed == sorted(DEMO_TRIAGE_FILES.values()), "data/demo/incident has files the generator does not write"
    for rel in committed:
        assert (COMMITTED / rel).read_bytes() == (folder / rel).read_bytes(), f"data/demo/incident/{rel} drifted"


# -- clocks and coverage ------------------------------------------------------------------------------


def test_billing_clock_runs_4s_ahead(folder: Path) -> None:
    assert DEMO_CLOCK_SKEW["billing"] == 4.0
    # against billing's own spans (Zipkin, true time): the log line is written when the span ends
    spans = json.loads(_text(folder, "trace_zipkin"))
    ends = {s["tags"]["order.id"]: (s["timestamp"] + s["duration"]) / 1e6 for s in spans if "order.id" in s["tags"]}
    pairs = [(ts, ends[o]) for ts, o in _billing(folder) if o in ends]
    assert len(pairs) >= 20
    assert all(abs(ts - end - 4.0) < 0.002 for ts, end in pairs)
    # against another service: orders logs "order created" (RFC 3339 seconds) just after the invoice
    created = {}
    for line in _text(folder, "log_orders").splitlines():
        rec = json.loads(line)
        if rec["message"] == "order created":
            created[rec["order_id"]] = _epoch(rec["time"])
    gaps = [ts - created[o] for ts, o in _billing(folder) if o in created]
    assert len(gaps) > 100
    assert all(3.9 < g < 5.1 for g in gaps) and 4.0 < median(gaps) < 4.7


def test_billing_clock_is_right_without_the_skew() -> None:
    files = demo_incident_files()  # the default arguments: no skew
    spans = json.loads(files["traces/billing-zipkin.json"])
    ends = {s["tags"]["order.id"]: (s["timestamp"] + s["duration"]) / 1e6 for s in spans if "order.id" in s["tags"]}
    for line in files["logs/billing.log"].decode().splitlines():
        m = re.match(r"ts=(\S+) .* order_id=(\S+)", line)
        assert m
        if m.group(2) in ends:
            assert abs(_epoch(m.group(1)) - ends[m.group(2)]) < 0.002


def test_auth_clock_runs_2s_behind(folder: Path) -> None:
    assert DEMO_CLOCK_SKEW["auth"] == -2.0
    gateway = {}
    for line in _text(folder, "log_gateway").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue  # the two truncated lines
        gateway[rec["trace_id"]] = rec["ts"]
    gaps = []
    for line in _text(folder, "log_auth").splitlines():
        rec = json.loads(line)
        gaps.append(gateway[rec["X-Trace-ID"]] - _epoch(rec["time"]))
    # auth writes whole seconds, 2 s behind; the gateway logs a millisecond or so later, on true time
    assert len(gaps) > 100 and all(2.0 <= g < 3.01 for g in gaps)


def test_orders_log_is_rotated_from_0950(folder: Path) -> None:
    assert DEMO_LOG_COVER["orders"] == ("2026-03-14T09:50:00Z", None)
    assert (folder / DEMO_TRIAGE_FILES["log_orders"]).read_bytes()[:2] == b"\x1f\x8b"
    times = [_epoch(json.loads(line)["time"]) for line in _text(folder, "log_orders").splitlines()]
    first, last = _first_last(times)
    assert _epoch("2026-03-14T09:50:00Z") <= first < _epoch("2026-03-14T09:51:00Z")
    assert last >= _epoch("2026-03-14T10:19:00Z")
    full = gzip.decompress(demo_incident_files()["logs/orders.log.gz"]).decode()
    assert _text(folder, "log_orders") in full and full.count("\n") > len(times)


def test_auth_log_ends_at_1012(folder: Path) -> None:
    times = [_epoch(json.loads(line)["time"]) for line in _text(folder, "log_auth").splitlines()]
    first, last = _first_last(times)
    assert first < _epoch("2026-03-14T09:41:00Z")
    assert _epoch("2026-03-14T10:11:00Z") <= last < _epoch("2026-03-14T10:12:00Z")


def test_the_other_logs_cover_the_whole_story(folder: Path) -> None:
    gw = []
    for line in _text(folder, "log_gateway").splitlines():
        with contextlib.suppress(json.JSONDecodeError):  # the two truncated lines
            gw.append(json.loads(line)["ts"])
    inv = [_epoch(json.loads(line)["time"]) for line in _text(folder, "log_inventory").splitlines()]
    pay = [_epoch(m) for m in re.findall(r'^time="([^"]+)"', _text(folder, "log_payments"), re.M)]
    bil = [ts for ts, _ in _billing(folder)]
    for times in (gw, inv, pay, bil):
        first, last = _first_last(times)
        assert first < _epoch("2026-03-14T09:41:00Z") and last >= _epoch("2026-03-14T10:19:00Z")


def test_unskewed_files_are_the_demo_incident_s(folder: Path) -> None:
    files = demo_incident_files()
    assert _text(folder, "log_payments") == files["logs/payments.log"].decode()
    assert _text(folder, "log_gateway") == files["logs/gateway.json.log"].decode()
    assert _text(folder, "log_inventory") == files["logs/inventory.jsonl"].decode()
    assert _text(folder, "trace_otlp") == files["traces/checkout-otlp.json"].decode()
    assert _text(folder, "trace_zipkin") == files["traces/billing-zipkin.json"].decode()
    assert _text(folder, "har") == files["har/checkout.har"].decode()


def test_apiprobe_reads_every_log(folder: Path) -> None:
    events = read_logs(folder / "logs")
    sources = summarize_log_sources(events)
    dialects = {Path(s).name: d for s, d in zip(sources["source_file"], sources["dialect"], strict=True)}
    assert dialects == {
        "gateway.json.log.gz": "zap",
        "orders.log.gz": "zerolog",
        "payments.log": "logrus_text",
        "inventory.jsonl.gz": "slog_json",
        "billing.log": "logfmt",
        "auth.log": "logrus_json",
        "search.log.gz": "zap_console",
    }
    assert set(events["service"]) == {"gateway", "orders", "payments", "inventory", "billing", "auth", "search"}


# -- the bystander ------------------------------------------------------------------------------------


def test_search_is_healthy_and_unrelated(folder: Path) -> None:
    text = _text(folder, "log_search")
    assert "payments" not in text and "charge" not in text
    requests = []
    for line in text.splitlines():
        ts, level, logger, caller, msg, fields = line.split("\t")
        assert logger in ("http", "indexer") and caller.endswith(".go:61" if logger == "http" else ".go:88")
        assert level == "INFO" and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", ts)
        if msg == "request":
            requests.append((_epoch(ts), json.loads(fields)))
    first, last = _first_last([t for t, _ in requests])
    assert first < _epoch("2026-03-14T09:31:00Z") and last >= _epoch("2026-03-14T10:29:00Z")
    statuses = [r["status"] for _, r in requests]
    assert set(statuses) == {200, 404} and statuses.count(404) < 0.02 * len(statuses)
    lat = sorted(r["latency"] for _, r in requests)
    assert lat[int(0.99 * len(lat))] < 0.1  # seconds: p99 under 100 ms
    during = [r["latency"] for t, r in requests if _epoch("2026-03-14T10:00:00Z") <= t < _epoch("2026-03-14T10:20:00Z")]
    before = [r["latency"] for t, r in requests if t < _epoch("2026-03-14T10:00:00Z")]
    assert 0.7 < median(during) / median(before) < 1.3


# -- payments' goroutine dump and profiles ----------------------------------------------------------


def test_goroutine_dump_shows_the_go_pg_pool_exhausted(folder: Path) -> None:
    path = folder / DEMO_TRIAGE_FILES["goroutines"]
    stamp = datetime.fromisoformat(PAYMENTS_DUMP_TIME.replace("Z", "+00:00")).strftime("%Y%m%dT%H%MZ")
    assert stamp in path.name == "payments-goroutines-20260314T1006Z.txt"
    g = read_goroutines(path)
    assert g.attrs["format"] == "debug=2" and g.attrs.get("parse_errors", 0) == 0
    waiters = g[g["wait_site"] == "pool_wait"]
    assert len(waiters) == 38
    assert (
        waiters["stack"].str.contains("github.com/go-pg/pg/v10/internal/pool.(*ConnPool).waitTurn", regex=False).all()
    )
    assert waiters["stack"].str.contains("main.(*ChargeHandler).charge", regex=False).all()
    job = g["stack"].str.contains("main.(*Reconciler).worker", regex=False)
    assert job.sum() == 16 and (g.loc[job, "wait_site"] == "net_io").all()
    assert g.loc[job, "stack"].str.contains("readSimpleQueryData", regex=False).all()
    assert (g.loc[job, "wait_minutes"] >= 1).all()
    holding = g["stack"].str.contains("(*Tx).ExecContext", regex=False) & (g["wait_site"] == "net_io")
    assert holding.sum() == 4
    assert (g["wait_site"] == "gc_idle").any() and g["goroutine_id"].is_unique
    findings = detect_pool_exhaustion(goroutines=g)
    top = findings.iloc[0]
    assert top["fault"] == "pool_exhaustion" and top["severity"] == "critical" and top["value"] == 38
    assert demo_payments_goroutine_dump() == path.read_text(encoding="utf-8")


def test_cpu_profile_shows_the_job_and_the_pool(folder: Path) -> None:
    p = read_pprof(folder / DEMO_TRIAGE_FILES["cpu_profile"])
    assert p.time_ns == int(_epoch("2026-03-14T10:05:00Z")) * 1_000_000_000
    assert p.duration_ns == 30_000_000_000 and p.period_type == ("cpu", "nanoseconds")
    assert "20260314T1005Z" in DEMO_TRIAGE_FILES["cpu_profile"]
    functions = set(p.frames["function"])
    assert {
        "github.com/go-pg/pg/v10.readDataRow",
        "github.com/go-pg/pg/v10/internal/pool.(*ConnPool).waitTurn",
        "main.(*Reconciler).scanShard",
        "main.(*ChargeHandler).charge",
    } <= functions
    cpu = p.samples["cpu"]
    job = (p.samples["label:job"] == "ledger-reconcile").fillna(False)
    charge = (p.samples["label:handler"] == "/v1/charge").fillna(False)
    assert cpu[job].sum() > 0.5 * cpu.sum() > cpu[charge].sum() > 0
    # the default profile has not moved
    assert demo_cpu_profile() == (REPO / "data" / "demo" / "profiles" / "cpu.pb.gz").read_bytes()


def test_truncated_heap_profile_is_refused(folder: Path) -> None:
    path = folder / DEMO_TRIAGE_FILES["heap_profile"]
    raw = path.read_bytes()
    whole = demo_heap_profile()
    assert raw == whole[: len(whole) // 2] and raw[:2] == b"\x1f\x8b"
    with pytest.raises(ProfileFormatError) as info:
        read_pprof(path)
    assert isinstance(info.value, DataFormatError) and path.name in str(info.value)
    heap = parse_pprof(whole)  # the whole one is a real heap profile
    assert [t for t, _ in heap.sample_types] == ["alloc_objects", "alloc_space", "inuse_objects", "inuse_space"]


# -- red herrings and noise -----------------------------------------------------------------------------


def test_pasted_chain_is_healthy(folder: Path, tmp_path: Path) -> None:
    path = folder / DEMO_TRIAGE_FILES["chain"]
    text = path.read_text(encoding="ascii")
    assert text.startswith("Certificate chain\n") and text.count("-----BEGIN CERTIFICATE-----") == 2
    certs = read_certificates(path)
    assert [c.subject.rfc4514_string() for c in certs] == [
        "CN=payments.internal",
        "CN=Demo Shop Issuing CA 1,O=Demo Shop,C=DE",
    ]
    for c in certs:
        assert c.not_valid_before_utc.isoformat() == "2026-01-01T00:00:00+00:00"
        assert c.not_valid_after_utc.isoformat() == "2031-01-01T00:00:00+00:00"
    root = tmp_path / "demo-shop-root.pem"
    root.write_text(demo_root_ca_pem(), encoding="ascii")
    report = diagnose_chain(path, hostname="payments.internal", cafile=root, stores=(), at=PAYMENTS_DUMP_TIME)
    assert report.verdicts["ok"].all(), report.verdicts[~report.verdicts["ok"]]


def test_screenshot_is_a_png(folder: Path) -> None:
    data = (folder / DEMO_TRIAGE_FILES["screenshot"]).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, idat = 8, [], b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        chunks.append(kind)
        idat += body if kind == b"IDAT" else b""
        pos += 12 + length
    assert chunks[0] == b"IHDR" and chunks[-1] == b"IEND" and b"PLTE" in chunks
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert len(zlib.decompress(idat)) == height * (width + 1) and (depth, colour) == (8, 3)


def test_notes_are_prose(folder: Path) -> None:
    notes = _text(folder, "notes")
    assert "ledger-reconcile" in notes and not notes.lstrip().startswith(("{", "goroutine", "time="))


# -- the generator's parameters -------------------------------------------------------------------------


def test_default_arguments_change_nothing() -> None:
    assert demo_incident_files(clock_skew={}, cover={}) == demo_incident_files()
    assert demo_incident_files(clock_skew={"billing": 0.0}) == demo_incident_files()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"clock_skew": {"checkout": 1.0}},
        {"clock_skew": {"billing": "4s"}},
        {"cover": {"orders": ("yesterday", None)}},
        {"cover": {"orders": ("2026-03-14T10:00:00Z", "2026-03-14T09:50:00Z")}},
        {"cover": {"nope": (None, None)}},
    ],
)
def test_bad_parameters(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidParameterError):
        demo_incident_files(**kwargs)  # type: ignore[arg-type]


def test_bad_profile_parameters() -> None:
    with pytest.raises(InvalidParameterError):
        demo_cpu_profile(cause="disk")
    with pytest.raises(InvalidParameterError):
        demo_cpu_profile(start="noon")
