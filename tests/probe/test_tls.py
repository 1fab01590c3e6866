"""probe_tls / diagnose_chain against the fault lab's real TLS servers, cross-checked with OpenSSL.

No mocks and no wall-clock upper bounds: every chain comes from a real handshake
with a lab endpoint (or with ``openssl s_server`` serving the same files).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from apiprobe.analyze.tls import TLS_CHECKS, TlsReport, diagnose_chain
from apiprobe.errors import DataFormatError, InvalidTargetError
from apiprobe.lab import FaultLab
from apiprobe.probe.tls import probe_tls
from apiprobe.schema import columns, validate

GO_UNKNOWN = "tls: failed to verify certificate: x509: certificate signed by unknown authority"

#: Lab endpoint → the one defect probe_tls must name when the client trusts the lab CA.
EXPECTED: dict[str, list[str]] = {
    "https_chain_ok": [],
    "https_expired": ["expired"],
    "https_not_yet_valid": ["not_yet_valid"],
    "https_expiring_soon": ["expiring_soon"],
    "https_wrong_host": ["hostname_mismatch"],
    "https_missing_intermediate": ["missing_intermediate"],
    "https_self_signed": ["self_signed"],
    "https_untrusted_root": ["untrusted_root"],
    "https_wrong_order": ["chain_order"],
    "https_root_sent": ["root_sent"],
    "https_weak_key": ["weak_key"],
    "https_sha1": ["weak_signature"],
    "https_leaf_is_ca": ["leaf_is_ca"],
}

#: Endpoints a Go client trusting the lab CA connects to anyway (warnings only).
GO_CONNECTS = {
    "https_chain_ok",
    "https_expiring_soon",
    "https_wrong_order",
    "https_root_sent",
    "https_weak_key",
    "https_leaf_is_ca",
}


@pytest.fixture(scope="module")
def tls_lab() -> Iterator[FaultLab]:
    with FaultLab(seed=0, tls_faults=True) as lab:
        yield lab


@pytest.fixture(scope="module")
def reports(tls_lab: FaultLab) -> dict[str, TlsReport]:
    """One probe per lab TLS endpoint, trusting certifi, the system store and the lab CA."""
    return {name: probe_tls(*tls_lab.address(name), cafile=tls_lab.ca_path) for name in EXPECTED}


def openssl() -> str:
    path = shutil.which("openssl")
    if path is None:
        pytest.skip("openssl is not installed")
    return path


# -- each lab defect is named exactly --------------------------------------------------------


@pytest.mark.parametrize("name", list(EXPECTED))
def test_each_lab_defect_is_named_exactly(reports: dict[str, TlsReport], name: str) -> None:
    report = reports[name]
    assert report.error is None
    assert report.stores == ["certifi", "system", "ca.pem"]
    assert report.defects("ca.pem") == EXPECTED[name]
    go = report.go_error("ca.pem")
    assert (go is None) == (name in GO_CONNECTS), go
    line = report.overall["ca.pem"]
    assert line.startswith("ca.pem: ")
    if not EXPECTED[name]:
        assert line == "ca.pem: TRUSTED"
    elif name in GO_CONNECTS and name != "https_leaf_is_ca":
        assert line.startswith("ca.pem: TRUSTED with warnings — ")
    else:
        assert line.startswith("ca.pem: UNTRUSTED — ")


def test_tables_follow_their_schemas(reports: dict[str, TlsReport]) -> None:
    for report in reports.values():
        validate(report.certs, "certs")
        validate(report.verdicts, "tls_verdicts")
        assert list(report.certs.columns) == columns("certs")
        checks = report.verdicts.groupby("store")["check"].apply(list)
        for store_checks in checks:  # every check once per store
            assert sorted(store_checks) == sorted(set(TLS_CHECKS) - {"connect"})
        failing = report.verdicts[~report.verdicts["ok"]]
        assert failing["severity"].notna().all() and failing["recommendation"].notna().all()
        assert report.verdicts[report.verdicts["ok"]]["go_error"].isna().all()
        assert not report.verdicts["recommendation"].fillna("").str.contains("InsecureSkipVerify").any()


def test_chain_ok_passes_with_the_lab_ca_and_is_an_untrusted_root_elsewhere(reports: dict[str, TlsReport]) -> None:
    report = reports["https_chain_ok"]
    assert report.trusted("ca.pem") and report.go_error("ca.pem") is None
    for store in ("certifi", "system"):
        assert report.defects(store) == ["untrusted_root"]
        assert not report.trusted(store)
        assert report.go_error(store) == GO_UNKNOWN
        assert report.overall[store] == f"{store}: UNTRUSTED — untrusted root"
    rec = report.verdicts.query("store == 'certifi' and check == 'untrusted_root'")["recommendation"].iloc[0]
    assert "AppendCertsFromPEM" in rec and "SSL_CERT_FILE" in rec
    assert report.go_error() is None  # default store: the CA file


def test_handshake_facts_and_chain_as_served(reports: dict[str, TlsReport], tls_lab: FaultLab) -> None:
    report = reports["https_chain_ok"]
    host, port = tls_lab.address("https_chain_ok")
    assert report.target == f"{host}:{port}" and report.hostname == host and report.ip == host
    assert report.tls_version in ("TLSv1.2", "TLSv1.3") and report.cipher
    assert report.alpn == "http/1.1"  # we offer h2 and http/1.1; the lab speaks HTTP/1.1 only
    assert report.connect_ms is not None and report.connect_ms >= 0
    assert report.handshake_ms is not None and report.handshake_ms > 0
    assert report.dns_ms is None  # an IP literal is not resolved
    assert report.chain_source.endswith("get_unverified_chain")
    certs = report.certs
    assert certs["position"].tolist() == [0, 1]
    assert certs["is_ca"].tolist() == [False, True]
    assert "127.0.0.1" in certs["sans"].iloc[0] and "localhost" in certs["sans"].iloc[0]
    assert certs["issuer"].iloc[0] == certs["subject"].iloc[1]
    assert certs["days_left"].iloc[0] == pytest.approx(90, abs=0.1)
    assert (certs["key_type"] == "EC secp256r1").all() and (certs["key_bits"] == 256).all()
    # the same facts as served by the three-certificate endpoints, in the order sent
    order = reports["https_wrong_order"].certs
    assert order["subject"].str.contains("intermediate CA").tolist() == [False, True, False]
    assert order["issuer"].iloc[0] == order["subject"].iloc[2]


def test_missing_intermediate_names_the_aia_url(reports: dict[str, TlsReport], tls_lab: FaultLab) -> None:
    report = reports["https_missing_intermediate"]
    assert len(report.certs) == 1
    assert report.certs["aia_ca_issuers"].iloc[0] == tls_lab.aia_url
    for store in report.stores:  # the same cause whatever the client trusts
        assert report.defects(store) == ["missing_intermediate"]
        assert report.go_error(store) == GO_UNKNOWN
    row = report.verdicts.query("store == 'ca.pem' and check == 'missing_intermediate'").iloc[0]
    assert tls_lab.aia_url in row["detail"]
    assert "fullchain.pem" in row["recommendation"]


def test_self_signed_and_missing_intermediate_look_the_same_to_go(reports: dict[str, TlsReport]) -> None:
    gos = {
        reports[n].go_error("ca.pem")
        for n in ("https_missing_intermediate", "https_self_signed", "https_untrusted_root")
    }
    assert gos == {GO_UNKNOWN}
    assert reports["https_self_signed"].certs["self_signed"].tolist() == [True]


def test_go_errors_of_expiry_and_hostname(reports: dict[str, TlsReport], tls_lab: FaultLab) -> None:
    expired = reports["https_expired"]
    not_after = expired.certs["not_after"].iloc[0].strftime("%Y-%m-%dT%H:%M:%SZ")
    at = pd.Timestamp(expired.at).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert expired.go_error("ca.pem") == (
        "tls: failed to verify certificate: x509: certificate has expired or is not yet valid: "
        f"current time {at} is after {not_after}"
    )
    early = reports["https_not_yet_valid"]
    assert " is before " in (early.go_error("ca.pem") or "")
    wrong = reports["https_wrong_host"]
    assert wrong.go_error("ca.pem") == (
        "tls: failed to verify certificate: x509: cannot validate certificate for "
        "127.0.0.1 because it doesn't contain any IP SANs"
    )
    by_name = probe_tls(*tls_lab.address("https_wrong_host"), servername="localhost", cafile=tls_lab.ca_path, stores=())
    assert by_name.hostname == "localhost"
    assert by_name.go_error() == (
        "tls: failed to verify certificate: x509: certificate is valid for "
        "wrong.apiprobe.test, www.wrong.apiprobe.test, not localhost"
    )
    assert by_name.defects() == ["hostname_mismatch"]
    ok_by_name = probe_tls(
        *tls_lab.address("https_chain_ok"), servername="lab.apiprobe.test", cafile=tls_lab.ca_path, stores=()
    )
    assert ok_by_name.defects() == [] and ok_by_name.trusted()


def test_sha1_go_error_names_the_candidate_authority(reports: dict[str, TlsReport]) -> None:
    go = reports["https_sha1"].go_error("ca.pem") or ""
    assert go.startswith(
        GO_UNKNOWN + ' (possibly because of "x509: cannot verify signature: insecure algorithm '
        'ECDSA-SHA1" while trying to verify candidate authority certificate '
        '"apiprobe fault lab intermediate CA'
    )
    assert reports["https_sha1"].certs["signature_algorithm"].iloc[0] == "ecdsa-with-SHA1"


def test_weak_key_and_leaf_ca_are_warnings_go_accepts(reports: dict[str, TlsReport]) -> None:
    weak = reports["https_weak_key"]
    assert weak.certs[["key_type", "key_bits"]].iloc[0].tolist() == ["RSA", 1024]
    assert weak.trusted("ca.pem")
    leaf_ca = reports["https_leaf_is_ca"]
    assert not leaf_ca.trusted("ca.pem")  # cryptography is stricter than Go here
    row = leaf_ca.verdicts.query("store == 'ca.pem' and check == 'path_validation'").iloc[0]
    assert row["severity"] == "warning" and "Go" in row["detail"]
    assert leaf_ca.overall["ca.pem"].endswith("(Go connects; strict verifiers refuse)")


def test_expiring_soon_is_a_warning(reports: dict[str, TlsReport]) -> None:
    row = reports["https_expiring_soon"].verdicts.query("store == 'ca.pem' and check == 'expiring_soon'").iloc[0]
    assert row["severity"] == "warning" and "20.0 days" in row["detail"]
    assert reports["https_expiring_soon"].certs["days_left"].iloc[0] == pytest.approx(20, abs=0.1)


# -- network failures are data -------------------------------------------------------------


def test_refused_connection_is_a_report(tls_lab: FaultLab) -> None:
    host, port = tls_lab.address("refused")
    report = probe_tls(host, port, stores=("certifi",))
    assert report.error_kind == "connect_refused" and report.error
    assert report.certs.empty and report.connect_ms is None
    assert report.verdicts["check"].tolist() == ["connect"]
    assert report.go_error() == f"dial tcp {host}:{port}: connect: connection refused"
    assert report.overall["certifi"].startswith("certifi: ERROR — ")
    validate(report.verdicts, "tls_verdicts")


def test_handshake_timeout_is_a_report(tls_lab: FaultLab) -> None:
    report = probe_tls(*tls_lab.address("blackhole"), timeout=0.3, stores=("certifi",))
    assert report.error_kind == "tls_timeout"
    assert report.connect_ms is not None and report.handshake_ms is None
    assert report.go_error() == "net/http: TLS handshake timeout"


def test_plain_http_port_is_a_handshake_error() -> None:
    server = socket.create_server(("127.0.0.1", 0))

    def answer() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(4096)
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    try:
        report = probe_tls("127.0.0.1", server.getsockname()[1], timeout=5, stores=("certifi",))
    finally:
        thread.join(5)
        server.close()
    assert report.error_kind == "tls_error"
    assert "did not answer with TLS" in (report.error or "")
    assert report.go_error() == "tls: first record does not look like a TLS handshake"


def test_unresolvable_name_is_a_report() -> None:
    report = probe_tls("no-such-host.invalid", 443, stores=("certifi",), timeout=2)
    assert report.error_kind == "dns_failure"
    assert report.verdicts["check"].tolist() == ["connect"]


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("",), {}),
        (("127.0.0.1", 0), {}),
        (("127.0.0.1", 70000), {}),
        (("127.0.0.1", "443"), {}),
        (("bad host", 443), {}),
        (("127.0.0.1", 443), {"timeout": 0}),
        (("127.0.0.1", 443), {"stores": ("nope",)}),
        (("127.0.0.1", 443), {"stores": ()}),
        (("127.0.0.1", 443), {"at": "not a time"}),
    ],
)
def test_bad_arguments_raise(args: tuple[object, ...], kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidTargetError):
        probe_tls(*args, **kwargs)  # type: ignore[arg-type]


def test_unreadable_cafile_raises(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match=r"missing\.pem"):
        probe_tls("127.0.0.1", 443, cafile=tmp_path / "missing.pem")
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate\n")
    with pytest.raises(DataFormatError, match=r"bad\.pem"):
        probe_tls("127.0.0.1", 443, cafile=bad)


# -- diagnose_chain: files, pasted s_client output, postmortems ---------------------------------


@pytest.mark.parametrize("name", list(EXPECTED))
def test_diagnose_chain_file_agrees_with_the_live_probe(
    tls_lab: FaultLab, reports: dict[str, TlsReport], name: str
) -> None:
    live = reports[name]
    offline = diagnose_chain(tls_lab.chain_path(name), "127.0.0.1", cafile=tls_lab.ca_path, at=live.at)
    assert offline.target == str(tls_lab.chain_path(name)) and offline.chain_source == "file"
    assert offline.certs["sha256"].tolist() == live.certs["sha256"].tolist()
    for store in live.stores:
        assert offline.defects(store) == live.defects(store)
        assert offline.go_error(store) == live.go_error(store)
    assert offline.tls_version is None and offline.handshake_ms is None


def s_client_text(pems: list[str]) -> str:
    """What ``openssl s_client -connect host:443 -showcerts`` prints around the PEM blocks."""
    out = [
        "CONNECTED(00000003)",
        "depth=0 O = apiprobe fault lab, CN = 127.0.0.1",
        "verify error:num=20:unable to get local issuer certificate",
        "verify return:1",
        "---",
        "Certificate chain",
    ]
    for i, pem in enumerate(pems):
        out += [
            f" {i} s:O = apiprobe fault lab, CN = cert {i}",
            f"   i:O = apiprobe fault lab, CN = issuer {i}",
            "   a:PKEY: id-ecPublicKey, 256 (bit); sigalg: ecdsa-with-SHA256",
            pem.strip(),
        ]
    out += [
        "---",
        "Server certificate",
        "subject=O = apiprobe fault lab, CN = 127.0.0.1",
        "---",
        "SSL handshake has read 1531 bytes and written 392 bytes",
        "Verification error: unable to get local issuer certificate",
        "---",
        "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384",
        "DONE",
    ]
    return "\r\n".join(out) + "\r\n"


def pem_blocks(path: Path) -> list[str]:
    text = path.read_text()
    return [b + "-----END CERTIFICATE-----\n" for b in text.split("-----END CERTIFICATE-----") if b.strip()]


def test_diagnose_pasted_s_client_output(tls_lab: FaultLab) -> None:
    text = s_client_text(pem_blocks(tls_lab.chain_path("https_missing_intermediate")))
    report = diagnose_chain(text, "localhost", cafile=tls_lab.ca_path, stores=("certifi",))
    assert report.target == "<PEM text>" and len(report.certs) == 1
    assert report.defects("ca.pem") == ["missing_intermediate"]
    assert report.defects("certifi") == ["missing_intermediate"]
    root_sent = diagnose_chain(
        s_client_text(pem_blocks(tls_lab.chain_path("https_root_sent"))).encode(),
        "lab.apiprobe.test",
        cafile=tls_lab.ca_path,
        stores=(),
        target="api:443",
    )
    assert root_sent.target == "api:443" and root_sent.certs["target"].eq("api:443").all()
    assert root_sent.defects() == ["root_sent"]


def test_real_s_client_output_is_understood(tls_lab: FaultLab) -> None:
    host, port = tls_lab.address("https_wrong_order")
    res = subprocess.run(
        [openssl(), "s_client", "-connect", f"{host}:{port}", "-showcerts"],
        input=b"",
        capture_output=True,
        timeout=30,
        check=False,
    )
    report = diagnose_chain(res.stdout.decode(), host, cafile=tls_lab.ca_path, stores=())
    assert len(report.certs) == 3
    assert report.defects() == ["chain_order"]


def test_postmortem_expiry_with_at(tls_lab: FaultLab) -> None:
    chain = tls_lab.chain_path("https_chain_ok")
    now = dt.datetime.now(dt.UTC)
    soon = diagnose_chain(chain, "localhost", cafile=tls_lab.ca_path, stores=(), at=now + dt.timedelta(days=75))
    assert soon.defects() == ["expiring_soon"]
    assert soon.verdicts.query("check == 'expiring_soon'")["severity"].iloc[0] == "warning"
    later = diagnose_chain(chain, "localhost", cafile=tls_lab.ca_path, stores=(), at=now + dt.timedelta(days=40))
    assert later.verdicts.query("check == 'expiring_soon'")["severity"].iloc[0] == "info"
    incident = pd.Timestamp(now + dt.timedelta(days=120)).tz_convert(None)  # naive: taken as UTC
    gone = diagnose_chain(chain, "localhost", cafile=tls_lab.ca_path, stores=(), at=incident)
    assert gone.defects() == ["expired"]
    assert gone.certs["days_left"].iloc[0] == pytest.approx(-30, abs=0.1)
    assert f"current time {incident:%Y-%m-%dT%H:%M:%S}Z is after" in (gone.go_error() or "")
    before = diagnose_chain(chain, "localhost", cafile=tls_lab.ca_path, stores=(), at=now - dt.timedelta(days=3))
    assert before.defects() == ["not_yet_valid"]


def test_expired_intermediate_is_a_hint_in_go_error(tls_lab: FaultLab) -> None:
    """An intermediate past its end (evaluated at a far future date) shows as Go's candidate hint."""
    chain = tls_lab.chain_path("https_chain_ok")
    at = dt.datetime.now(dt.UTC) + dt.timedelta(days=6 * 365)
    report = diagnose_chain(chain, "localhost", cafile=tls_lab.ca_path, stores=(), at=at)
    assert report.defects() == ["expired"]
    detail = report.verdicts.query("check == 'expired'")["detail"].iloc[0]
    assert "the leaf expired" in detail and "certificate 1" in detail


def test_broken_pem_raises_naming_source_and_block(tmp_path: Path, tls_lab: FaultLab) -> None:
    blocks = pem_blocks(tls_lab.chain_path("https_chain_ok"))
    with pytest.raises(DataFormatError, match="no PEM certificate block"):
        diagnose_chain("hello\nworld\n", "localhost")
    corrupt = tmp_path / "corrupt.pem"
    lines = blocks[1].splitlines()
    lines[3] = lines[3][:10] + "!!!!" + lines[3][14:]
    corrupt.write_text(blocks[0] + "\n".join(lines) + "\n")
    with pytest.raises(DataFormatError, match=r"corrupt\.pem: certificate block 2 \(line \d+\)"):
        diagnose_chain(corrupt, "localhost")
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n")
    with pytest.raises(DataFormatError, match=r"garbage\.pem: certificate block 1 \(line 1\) is not a valid X\.509"):
        diagnose_chain(garbage, "localhost")
    truncated = blocks[0] + blocks[1][: len(blocks[1]) // 2]
    with pytest.raises(DataFormatError, match="no matching END line"):
        diagnose_chain(truncated, "localhost")
    with pytest.raises(DataFormatError, match=r"nope\.pem"):
        diagnose_chain(tmp_path / "nope.pem", "localhost")


def test_der_input_and_no_hostname(tls_lab: FaultLab) -> None:
    der = tls_lab.chain_path("https_ok").read_text()
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    leaf = x509.load_pem_x509_certificate(der.encode())
    report = diagnose_chain(leaf.public_bytes(Encoding.DER), None, cafile=tls_lab.ca_path, stores=())
    assert report.target == "<DER bytes>"
    assert report.verdicts.query("check == 'hostname_mismatch'")["ok"].iloc[0]
    assert report.trusted()


# -- cross-checks with OpenSSL -----------------------------------------------------------------


def split_chain(path: Path, into: Path) -> tuple[Path, Path | None]:
    blocks = pem_blocks(path)
    leaf = into / f"{path.stem}-leaf.pem"
    leaf.write_text(blocks[0])
    if len(blocks) == 1:
        return leaf, None
    rest = into / f"{path.stem}-rest.pem"
    rest.write_text("".join(blocks[1:]))
    return leaf, rest


@pytest.mark.parametrize("name", list(EXPECTED))
def test_openssl_verify_agrees_with_what_go_would_do(
    tls_lab: FaultLab, reports: dict[str, TlsReport], name: str, tmp_path: Path
) -> None:
    """Our Go verdict (connects or not) ⇔ ``openssl verify`` at security level 1 with the IP checked."""
    leaf, rest = split_chain(tls_lab.chain_path(name), tmp_path)
    cmd = [openssl(), "verify", "-auth_level", "1", "-verify_ip", "127.0.0.1", "-CAfile", str(tls_lab.ca_path)]
    if rest is not None:
        cmd += ["-untrusted", str(rest)]
    res = subprocess.run([*cmd, str(leaf)], capture_output=True, text=True, timeout=30, check=False)
    openssl_ok = res.returncode == 0
    report = reports[name]
    assert (report.go_error("ca.pem") is None) == openssl_ok, res.stdout + res.stderr
    if name != "https_leaf_is_ca":  # the one rule cryptography enforces and OpenSSL does not
        assert report.trusted("ca.pem") == openssl_ok, res.stdout + res.stderr


@contextlib.contextmanager
def s_server(*args: str) -> Iterator[int]:
    """``openssl s_server`` on a free loopback port; yields the port once it accepts connections."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [openssl(), "s_server", "-accept", f"127.0.0.1:{port}", *args, "-www", "-quiet"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None:
                pytest.fail(f"openssl s_server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("openssl s_server did not start listening")
                time.sleep(0.05)
        yield port
    finally:
        proc.kill()
        proc.wait(10)
        if proc.stderr is not None:
            proc.stderr.close()


@pytest.mark.parametrize(
    "name",
    [
        "https_chain_ok",
        "https_missing_intermediate",
        "https_wrong_order",
        "https_root_sent",
        "https_untrusted_root",
        "https_expired",
    ],
)
def test_openssl_s_server_serving_the_same_chain_gives_the_same_verdicts(
    tls_lab: FaultLab, reports: dict[str, TlsReport], name: str, tmp_path: Path
) -> None:
    chain = tls_lab.chain_path(name)
    leaf, rest = split_chain(chain, tmp_path)
    args = ["-cert", str(leaf), "-key", str(chain.with_suffix(".key"))]
    if rest is not None:
        args += ["-cert_chain", str(rest)]
    with s_server(*args) as port:
        report = probe_tls("127.0.0.1", port, cafile=tls_lab.ca_path, at=reports[name].at)
    assert report.error is None
    live = reports[name]
    assert report.certs["sha256"].tolist() == live.certs["sha256"].tolist()
    for store in live.stores:
        assert report.defects(store) == live.defects(store)
        assert report.go_error(store) == live.go_error(store)


def test_no_shared_cipher_is_a_handshake_failure(tls_lab: FaultLab) -> None:
    chain = tls_lab.chain_path("https_chain_ok")  # an EC key: an RSA-only cipher list cannot be served
    args = [
        "-cert",
        str(chain),
        "-key",
        str(chain.with_suffix(".key")),
        "-cipher",
        "ECDHE-RSA-AES128-SHA",
        "-no_tls1_3",
    ]
    with s_server(*args) as port:
        report = probe_tls("127.0.0.1", port, cafile=tls_lab.ca_path)
    assert report.error_kind == "tls_error" and report.certs.empty
    assert "handshake failure" in (report.error or "").lower()
    assert report.go_error() == "remote error: tls: handshake failure"
    assert report.verdicts["check"].unique().tolist() == ["handshake"]


def test_missing_system_store_is_said(tls_lab: FaultLab, monkeypatch: pytest.MonkeyPatch) -> None:
    import apiprobe.analyze.tls._trust as trust_module

    monkeypatch.setattr(trust_module, "_system_ca_file", lambda: None)
    report = diagnose_chain(tls_lab.chain_path("https_chain_ok"), "localhost", cafile=tls_lab.ca_path)
    system = report.verdicts[report.verdicts["store"] == "system"]
    assert system["check"].tolist() == ["trust_store"] and not system["ok"].iloc[0]
    assert "no system CA file found" in system["detail"].iloc[0]
    assert report.overall["system"].startswith("system: UNKNOWN — ")
    assert report.go_error("system") is None and report.defects("system") == []
    assert report.overall["ca.pem"] == "ca.pem: TRUSTED"
    text = str(report)
    assert "system: UNKNOWN" in text and "[1] CN=apiprobe fault lab intermediate CA" in text
    with pytest.raises(InvalidTargetError, match=r"known: certifi, system, ca\.pem"):
        report.go_error("nope")


def test_chain_order_is_judged_as_sent_for_every_store(tls_lab: FaultLab, tmp_path: Path) -> None:
    """[leaf, root, intermediate]: out of order whichever store judges it (the CA file holds the root)."""
    leaf, inter, root = pem_blocks(tls_lab.chain_path("https_root_sent"))
    for blocks, in_order in (([leaf, root, inter], False), ([leaf, inter, root], True), ([leaf, inter], True)):
        pem = tmp_path / "chain.pem"
        pem.write_text("".join(blocks))
        report = diagnose_chain(pem, "lab.apiprobe.test", cafile=tls_lab.ca_path, stores=("certifi",))
        order = report.verdicts.query("check == 'chain_order'")
        assert set(order["store"]) == {"ca.pem", "certifi"}
        assert order["ok"].tolist() == [in_order, in_order], order
        if not in_order:
            assert (order["severity"] == "warning").all()
            assert order["detail"].str.contains(r"0 .* → 2 .* → 1 ").all()
