"""What a file is, by its content: every kind of evidence apiprobe reads, written by the real generators."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import struct
import time
import zlib
from pathlib import Path

import pandas as pd
import pytest
from cryptography.hazmat.primitives import serialization

import apiprobe
from apiprobe.demo import demo_pings, demo_probes
from apiprobe.errors import DataFormatError
from apiprobe.lab._certs import LabPki, write_pem
from apiprobe.load._sniff import EVIDENCE_KINDS, HEAD_BYTES, Sniffed, sniff_bytes, sniff_file
from apiprobe.load.tables import write_table
from apiprobe.schema import conform

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
REAL = ROOT / "tests" / "fixtures" / "realworld"
CORPUS = ROOT.parent / "shared" / "corpus"


def _png() -> bytes:
    """A real 1×1 PNG (signature, IHDR, IDAT, IEND with their CRCs)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")
    )


def _prometheus_page() -> bytes:
    from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

    registry = CollectorRegistry()
    Counter("http_requests", "Requests.", ["code"], registry=registry).labels("200").inc(3)
    Histogram("http_request_duration_seconds", "Latency.", registry=registry).observe(0.25)
    return generate_latest(registry)


def write_other_kinds(folder: Path) -> dict[str, str | None]:
    """Files that are not logs, traces or metrics pages, in ``folder``: file name → the reader to use.

    A pprof profile, a PEM chain, its private key, a goroutine dump, a HAR file and a screenshot:
    what lies beside the logs of a real incident folder.
    """
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(DEMO / "profiles" / "cpu.pb.gz", folder / "cpu.pb.gz")
    shutil.copy(DEMO / "goroutines" / "goroutines-before.txt", folder / "goroutines.txt")
    shutil.copy(DEMO / "har" / "checkout.har", folder / "checkout.har")
    pki = LabPki.create("incident", ["payments.internal"])
    leaf, key = pki.intermediate.issue(["payments.internal"])
    write_pem(folder / "payments-chain.pem", [leaf, pki.intermediate.cert])
    write_pem(folder / "payments.key", [key])
    (folder / "grafana.png").write_bytes(_png())
    return {
        "cpu.pb.gz": "read_pprof",
        "goroutines.txt": "read_goroutines",
        "checkout.har": "read_har",
        "payments-chain.pem": "read_certificates",
        "payments.key": None,
        "grafana.png": None,
    }


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every kind of file, as the generators and the demo data write them."""
    d = tmp_path_factory.mktemp("sniff")
    out: dict[str, Path] = {}

    def put(name: str, data: bytes) -> None:
        out[name] = d / name
        out[name].write_bytes(data)

    for sub in ("logs", "traces", "har", "profiles", "goroutines", "metrics", "serialization", "resilience"):
        for f in sorted((DEMO / sub).iterdir()):
            put(f.name, f.read_bytes())
    put("probes.csv", (DEMO / "probes.csv").read_bytes())
    put("pings.csv", (DEMO / "pings.csv").read_bytes())
    cpu = (DEMO / "profiles" / "cpu.pb.gz").read_bytes()
    put("raw.pb", gzip.decompress(cpu))
    put("cut.pb.gz", cpu[: len(cpu) // 2])
    put("debug1.txt", (REAL / "goroutines" / "ledger-go1.19-sql-debug1.txt").read_bytes())
    put("panic.txt", (REAL / "goroutines" / "ledger-go1.19-panic.txt").read_bytes())
    put("metrics.prom", _prometheus_page())
    put("collector.jsonl", (ROOT / "tests" / "fixtures" / "traces" / "collector-export.jsonl").read_bytes())
    write_table(demo_probes(minutes=2), d / "probes.parquet")
    write_table(demo_pings(minutes=2), d / "pings.jsonl")
    dns = conform(
        [{"ts": pd.Timestamp("2026-03-14T09:00:00Z"), "name": "api.internal", "rtype": "A", "resolver": "system"}],
        "dns",
    )
    write_table(dns, d / "dns.parquet")
    out.update({n: d / n for n in ("probes.parquet", "pings.jsonl", "dns.parquet")})
    put("timeouts.json", json.dumps({"calls": [{"caller": "a", "callee": "b", "timeout": "1s"}]}).encode())
    put("timeouts.csv", b"caller,callee,timeout_s,retries\ngateway,orders,3,2\n")
    pki = LabPki.create("sniff", ["localhost"])
    leaf, key = pki.intermediate.issue(["localhost"])
    write_pem(d / "chain.pem", [leaf, pki.intermediate.cert])
    write_pem(d / "leaf.pem", [leaf])
    write_pem(d / "leaf.key", [key])
    out.update({n: d / n for n in ("chain.pem", "leaf.pem", "leaf.key")})
    put("leaf.der", leaf.public_bytes(serialization.Encoding.DER))
    der_key = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    put("leaf-key.der", der_key)
    put("screenshot.png", _png())
    put("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + os.urandom(256))
    put("report.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    put("random.bin", os.urandom(8192))
    put("empty.log", b"")
    put("corrupt.gz", b"\x1f\x8b\x08\x00garbage that does not inflate")
    put("resolv.conf", b"# written by kubelet\nnameserver 10.96.0.10\nsearch ns.svc.cluster.local\noptions ndots:5\n")
    put("notes.txt", b"Called the payments team at ten.\nThey said the pool was fine.\n")
    put("heap.txt", b"heap profile: 1: 2 [3: 4] @ heap/1048576\n1: 2 [3: 4] @ 0x1 0x2\n")
    put("top.txt", b"Showing nodes accounting for 10ms\n      flat  flat%   sum%        cum   cum%\n")
    put("other.csv", b"LineId,Date,Content\n1,2017-05-16,hello\n2,2017-05-16,world\n")
    return out


EXPECTED: list[tuple[str, str | None, str, str | None, str | None]] = [
    # file, kind, what, dialect, problem
    ("auth.log", "logs", "a logrus JSON log", "logrus_json", None),
    ("billing.log", "logs", "a logfmt log", "logfmt", None),
    ("gateway.json.log", "logs", "a zap JSON log", "zap", None),
    ("inventory.jsonl", "logs", "an slog JSON log", "slog_json", None),
    ("orders.log.gz", "logs", "a gzip-compressed zerolog JSON log", "zerolog", None),
    ("payments.log", "logs", "a logrus text log", "logrus_text", None),
    ("checkout-otlp.json", "traces", "an OTLP JSON trace export", "otlp", None),
    ("inventory-jaeger.json", "traces", "a Jaeger JSON trace export", "jaeger", None),
    ("billing-zipkin.json", "traces", "a Zipkin v2 JSON trace export", "zipkin", None),
    ("collector.jsonl", "traces", "an OTLP JSON lines trace export", "otlp", None),
    ("checkout.har", "har", "a HAR file", None, None),
    ("cpu.pb.gz", "pprof", "a gzip-compressed pprof profile", None, None),
    ("raw.pb", "pprof", "a pprof profile", None, None),
    ("cut.pb.gz", "pprof", "a gzip-compressed pprof profile", None, "truncated gzip stream"),
    ("heap.txt", "pprof", "a legacy text pprof profile", None, "legacy pre-protobuf profile format"),
    ("goroutines-before.txt", "goroutines", "a goroutine dump (debug=2)", "debug=2", None),
    ("debug1.txt", "goroutines", "a goroutine profile in text (debug=1)", "debug=1", None),
    ("panic.txt", "goroutines", "a Go panic with its goroutine stacks (debug=2)", "debug=2", None),
    ("incident.openmetrics.txt.gz", "metrics", "a gzip-compressed OpenMetrics /metrics page", "openmetrics", None),
    ("metrics.prom", "metrics", "a Prometheus /metrics page", "prometheus", None),
    ("order.go", "go_source", "a Go source file with struct types", None, None),
    ("payloads.jsonl", "payloads", "a JSON-lines file of request payloads", None, None),
    ("timeouts.yaml", "timeouts", "a timeouts declaration (YAML)", "yaml", None),
    ("timeouts.json", "timeouts", "a timeouts declaration (JSON)", "json", None),
    ("timeouts.csv", "timeouts", "a timeouts declaration (CSV)", "csv", None),
    ("probes.csv", "probes", "a probes table (CSV)", "csv", None),
    ("pings.csv", "pings", "a pings table (CSV)", "csv", None),
    ("probes.parquet", "probes", "a probes table (Parquet)", "parquet", None),
    ("pings.jsonl", "pings", "a pings table (JSON lines)", "jsonl", None),
    ("dns.parquet", "dns", "a dns table (Parquet)", "parquet", None),
    ("chain.pem", "certs", "a PEM certificate chain (2 certificates)", None, None),
    ("leaf.pem", "certs", "a PEM certificate", None, None),
    ("leaf.der", "certs", "a DER certificate", None, None),
    ("resolv.conf", "resolv_conf", "a resolv.conf file", None, None),
    ("leaf.key", None, "a PEM private key (not evidence; never share it)", None, None),
    ("leaf-key.der", None, "a DER private key (not evidence; never share it)", None, None),
    ("screenshot.png", None, "a PNG image", None, None),
    ("photo.jpg", None, "a JPEG image", None, None),
    ("report.pdf", None, "a PDF document", None, None),
    ("random.bin", None, "an unrecognised binary file", None, None),
    ("empty.log", None, "an empty file", None, "empty file"),
    ("corrupt.gz", None, "a gzip file that does not inflate", None, "corrupt gzip stream"),
    ("notes.txt", None, "plain text without timestamps", None, None),
    ("top.txt", None, "a pprof text report (go tool pprof -top), not the profile", None, None),
    ("other.csv", None, "a CSV table that is not an apiprobe table (columns Content, Date, LineId)", "csv", None),
]


@pytest.mark.parametrize(("name", "kind", "what", "dialect", "problem"), EXPECTED, ids=[e[0] for e in EXPECTED])
def test_every_kind_is_recognised_by_its_content(
    files: dict[str, Path], name: str, kind: str | None, what: str, dialect: str | None, problem: str | None
) -> None:
    found = sniff_file(files[name])
    assert (found.kind, found.what, found.dialect) == (kind, what, dialect), found
    if problem is None:
        assert found.problem is None, found
    else:
        assert found.problem is not None and found.problem.startswith(problem), found
    assert found.reader == (None if kind is None else EVIDENCE_KINDS[kind])
    # the bytes tell the same, whatever the file is called (the name only breaks ties)
    assert sniff_bytes(files[name].read_bytes(), "x" + Path(name).suffix) == found


def test_every_kind_has_a_public_reader() -> None:
    import apiprobe

    for kind, reader in EVIDENCE_KINDS.items():
        assert callable(getattr(apiprobe, reader)), kind
    assert Sniffed("pprof", "a pprof profile").reader == "read_pprof" and Sniffed(None, "x").reader is None


def test_ambiguous_content() -> None:
    # JSON lines: logs carry two of level/msg/time…; request bodies do not
    assert sniff_bytes(b'{"msg":"a","level":"info"}\n{"msg":"b","level":"warn"}\n').kind == "logs"
    assert sniff_bytes(b'{"order_id":"o-1","qty":2}\n{"order_id":"o-2","qty":1}\n').kind == "payloads"
    assert sniff_bytes(b'{"user_id": 42, "note": "one body"}').what == "a JSON request payload"
    # a plain-text log starts its lines with a time; prose does not
    assert sniff_bytes(b"2024-03-14 10:00:01 INFO started\n2024-03-14 10:00:02 WARN slow\n").dialect == "text"
    assert sniff_bytes(b"I0314 10:00:01.000000    1 main.go:12] klog line\n").kind == "logs"
    assert sniff_bytes(b"The pool ran dry at ten.\nNobody noticed.\n") == Sniffed(None, "plain text without timestamps")
    # an access log that starts with "[" is no JSON
    assert sniff_bytes(b'[GIN] 2024/11/12 - 15:19:06 | 200 |  953ms | 10.0.0.1 | PUT "/v1/x"\n').dialect == "gin"
    # a log with a garbage line (a NUL, a binary blob) is still a log; a panic in the middle of one too
    lines = [json.dumps({"level": "info", "ts": 1.5 + i, "msg": f"m{i}"}) for i in range(10)]
    noisy = "\n".join([*lines[:5], "panic: boom", "", "goroutine 1 [running]:", "\x00\x01 junk", *lines[5:]])
    assert sniff_bytes(noisy.encode()).dialect == "zap"
    # a Go file is told by its package clause; ".go" only breaks a tie
    assert sniff_bytes(b"// Package x.\npackage x\n\ntype T struct {\n\tA int\n}\n").kind == "go_source"
    assert sniff_bytes(b"package main\n\nfunc main() {}\n", "main.go").problem == "no struct type in it"
    # a PEM file with a certificate and its key is evidence, and says so; a CSR is not
    assert sniff_bytes(b"-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n").kind is None
    # a JSON document cut short keeps its kind, with the problem
    cut = sniff_bytes(b'{"resourceSpans": [{"resource": {')
    assert (cut.kind, cut.problem is not None) == ("traces", True)
    assert sniff_bytes(b'{"traceEvents": [{"ph": "X"}]}').what == "a Chrome trace-event JSON file"
    assert sniff_bytes(b"go 1.22 trace\x00\x00\x00" + bytes(64)).kind == "gotrace"
    old = sniff_bytes(b"go 1.19 trace\x00\x00\x00" + bytes(64))
    assert (old.kind, old.what) == ("gotrace", "a Go execution trace (format go 1.19)")
    assert old.problem is not None and "re-record the trace with Go >= 1.22" in old.problem


def test_a_pprof_goroutine_profile_says_so() -> None:
    def field(tag: int, payload: bytes) -> bytes:
        return bytes([tag << 3 | 2, len(payload)]) + payload

    profile = field(1, b"\x08\x01\x10\x02") + field(2, b"\x0a\x01\x01\x12\x01\x05")
    profile += b"".join(field(6, s) for s in (b"", b"goroutine", b"count"))
    assert sniff_bytes(gzip.compress(profile)).what == "a gzip-compressed pprof goroutine profile (debug=0)"
    cut = sniff_bytes(profile[:-3])
    assert cut.kind == "pprof" and (cut.problem or "").startswith("truncated protobuf: field 6 length 5 runs past")


def test_only_the_head_is_read(tmp_path: Path) -> None:
    """50 MB: a log at the start, NUL bytes after it; reading the whole would call it binary."""
    big = tmp_path / "big.log"
    head = "".join(json.dumps({"level": "info", "ts": 1.5 + i, "msg": f"m{i}"}) + "\n" for i in range(100))
    with big.open("wb") as fh:
        fh.write(head.encode())
        fh.truncate(50 << 20)  # the rest reads as NUL bytes
    started = time.perf_counter()
    found = sniff_file(big)
    assert found == Sniffed("logs", "a zap JSON log", "zap")
    assert time.perf_counter() - started < 1.0
    compressed = tmp_path / "big.log.gz"
    compressed.write_bytes(gzip.compress(head.encode() * 2000 + bytes(HEAD_BYTES)))
    assert sniff_file(compressed).dialect == "zap"


def test_unreadable_path_is_a_problem_not_an_error(tmp_path: Path) -> None:
    found = sniff_file(tmp_path / "absent.log")
    assert found.kind is None and found.problem is not None and "cannot read" in found.problem


# --------------------------------------------------------------------------- loaders refuse other kinds

WRONG_KIND = [
    # reader, file, the end of the message
    ("read_logs", "cpu.pb.gz", "this is a gzip-compressed pprof profile, not a log file: read it with read_pprof"),
    ("read_logs", "screenshot.png", "this is a PNG image, not a log file"),
    ("read_traces", "checkout.har", "this is a HAR file, not a trace file: read it with read_har"),
    ("read_traces", "leaf.pem", "this is a PEM certificate, not a trace file: read it with read_certificates"),
    (
        "read_metrics_text",
        "goroutines-before.txt",
        "this is a goroutine dump (debug=2), not a metrics file: read it with read_goroutines",
    ),
    ("read_har", "cpu.pb.gz", "this is a gzip-compressed pprof profile, not a HAR file: read it with read_pprof"),
    ("read_pprof", "gateway.json.log", "this is a zap JSON log, not a pprof profile: read it with read_logs"),
    (
        "read_goroutines",
        "checkout-otlp.json",
        "this is an OTLP JSON trace export, not a goroutine dump: read it with read_traces",
    ),
    (
        "read_certificates",
        "leaf.key",
        "this is a PEM private key (not evidence; never share it), not a certificate file",
    ),
    (
        "read_certificates",
        "probes.csv",
        "this is a probes table (CSV), not a certificate file: read it with read_probes",
    ),
    ("read_probes", "pings.csv", "this is a pings table (CSV), not a probes table: read it with read_pings"),
    ("read_pings", "probes.parquet", "this is a probes table (Parquet), not a pings table: read it with read_probes"),
    ("read_dns", "pings.jsonl", "this is a pings table (JSON lines), not a dns table: read it with read_pings"),
    (
        "read_timeouts",
        "payments.log",
        "this is a logrus text log, not a timeouts declaration: read it with read_logs",
    ),
]


@pytest.mark.parametrize(("reader", "name", "says"), WRONG_KIND, ids=[f"{r}-{n}" for r, n, _ in WRONG_KIND])
def test_a_file_of_another_kind_names_its_reader(files: dict[str, Path], reader: str, name: str, says: str) -> None:
    with pytest.raises(DataFormatError) as err:
        getattr(apiprobe, reader)(files[name])
    message = str(err.value)
    assert message.startswith((str(files[name]), name)) and message.endswith(says), message


def test_a_private_key_is_never_read_as_a_log(files: dict[str, Path]) -> None:
    with pytest.raises(DataFormatError, match=r"leaf\.key: this is a PEM private key"):
        apiprobe.read_logs(files["leaf.key"], format="text")  # whatever the format asked for
    logs = apiprobe.read_logs(files["goroutines-before.txt"], format="text")  # a format asked for is obeyed
    assert len(logs) > 0


# --------------------------------------------------------------------------- the real-world corpus

#: corpus file -> (kind, what its SOURCES.md says it is, in the words sniff_file uses, problem prefix)
CORPUS_KINDS: dict[str, tuple[str | None, str, str | None]] = {
    "pprof/large.cpu.pb.gz": ("pprof", "a gzip-compressed pprof profile", None),
    "pprof/sample.cpu.pb.gz": ("pprof", "a gzip-compressed pprof profile", None),
    "pprof/go.nomappings.crash.pb.gz": ("pprof", "a gzip-compressed pprof profile", None),
    "pprof/cppbench.cpu_no_samples_type.pb.gz": ("pprof", "a gzip-compressed pprof profile", None),
    # legacy, pre-protobuf: a profile apiprobe cannot read, reported with the reason
    "pprof/go.crc32.cpu.pb.gz": ("pprof", "a legacy (pre-protobuf) binary CPU profile", "legacy"),
    # pprof's own text rendering of that file: not the profile
    "pprof/go.crc32.cpu.string.txt": (
        None,
        "a pprof text rendering of a profile (go tool pprof -raw), not the profile",
        None,
    ),
    "goroutines/goleak-http.txt": ("goroutines", "a goroutine dump (debug=2)", None),
    "goroutines/goleak-http.go1.20.txt": ("goroutines", "a goroutine dump (debug=2)", None),
    "goroutines/goleak-http.tracebackancestors.txt": ("goroutines", "a goroutine dump (debug=2)", None),
    "traces/otlp-example-trace.json": ("traces", "an OTLP JSON trace export", None),
    "traces/jaeger-ui-otlp2jaeger-in.json": ("traces", "an OTLP JSON trace export", None),
    "traces/jaeger-ui-otlp2jaeger-out.json": ("traces", "a Jaeger JSON trace export", None),
    "logs/zerolog-example.jsonl": ("logs", "a zerolog JSON log", None),
    "logs/loghub-OpenStack_2k.log": ("logs", "a plain-text log", None),
    # loghub's reference tables for the log: CSV, not evidence apiprobe reads
    "logs/loghub-OpenStack_2k.log_structured.csv": (None, "a CSV table that is not an apiprobe table", None),
    "logs/loghub-OpenStack_2k.log_templates.csv": (None, "a CSV table that is not an apiprobe table", None),
    "SOURCES.md": (None, "plain text without timestamps", None),
}


def _corpus_files() -> list[str]:
    if not CORPUS.is_dir():
        return []
    return sorted(str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*") if p.is_file())


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the real-world corpus is not here ({CORPUS})")
def test_the_corpus_table_covers_every_corpus_file() -> None:
    assert set(_corpus_files()) == set(CORPUS_KINDS)


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the real-world corpus is not here ({CORPUS})")
@pytest.mark.parametrize("rel", _corpus_files() or sorted(CORPUS_KINDS))
def test_corpus_files_are_what_sources_md_says(rel: str) -> None:
    if rel not in CORPUS_KINDS:
        pytest.fail(f"{rel}: a corpus file with no expected kind: add it to CORPUS_KINDS (see SOURCES.md)")
    kind, what, problem = CORPUS_KINDS[rel]
    found = sniff_file(CORPUS / rel)
    assert found.kind == kind and found.what.startswith(what), found
    folder = rel.split("/")[0]
    if kind is not None and folder in ("pprof", "goroutines", "traces", "logs"):
        assert kind == folder  # the corpus folder names the kind of what it holds
    assert (found.problem or "").startswith(problem or ""), found
    assert (found.problem is None) == (problem is None), found
