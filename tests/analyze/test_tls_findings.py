"""detect_tls_faults and expiry_table on reports of real lab chains."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pandas as pd
import pytest

from apiprobe.analyze.tls import TlsReport, detect_tls_faults, diagnose_chain, expiry_table
from apiprobe.lab import FaultLab
from apiprobe.probe.tls import probe_tls
from apiprobe.schema import FAULTS, validate

FAULT_OF = {
    "https_expired": ("tls_expiry", "critical"),
    "https_not_yet_valid": ("tls_expiry", "critical"),
    "https_expiring_soon": ("tls_expiry", "warning"),
    "https_wrong_host": ("tls_hostname", "critical"),
    "https_missing_intermediate": ("tls_chain", "critical"),
    "https_self_signed": ("tls_chain", "critical"),
    "https_untrusted_root": ("tls_chain", "critical"),
    "https_wrong_order": ("tls_chain", "warning"),
    "https_root_sent": ("tls_chain", "info"),
    "https_weak_key": ("tls_weak", "warning"),
    "https_sha1": ("tls_weak", "critical"),
    "https_leaf_is_ca": ("tls_weak", "warning"),
}


@pytest.fixture(scope="module")
def lab_reports() -> Iterator[tuple[FaultLab, dict[str, TlsReport]]]:
    with FaultLab(seed=0, tls_faults=True) as lab:
        names = ["https_chain_ok", *FAULT_OF]
        yield lab, {n: probe_tls(*lab.address(n), cafile=lab.ca_path, stores=("certifi",)) for n in names}


def test_one_finding_per_defect_with_the_go_error(lab_reports: tuple[FaultLab, dict[str, TlsReport]]) -> None:
    _, reports = lab_reports
    findings = detect_tls_faults(list(reports.values()), stores=["ca.pem"])
    validate(findings, "findings")
    assert set(findings["fault"]) <= set(FAULTS)
    assert (findings["handbook_ref"] == "§2.2").all() and (findings["detector"] == "detect_tls_faults").all()
    by_target = {r.target: n for n, r in reports.items()}
    got = {
        (by_target[s], f, sev)
        for s, f, sev in zip(findings["subject"], findings["fault"], findings["severity"], strict=True)
    }
    assert got == {(n, f, s) for n, (f, s) in FAULT_OF.items()}
    missing = findings[findings["subject"] == reports["https_missing_intermediate"].target].iloc[0]
    assert "certificate signed by unknown authority" in missing["evidence"]
    assert "fullchain.pem" in missing["recommendation"]
    assert missing["ts_start"] == pd.Timestamp(reports["https_missing_intermediate"].at)
    leaf_ca = findings[findings["subject"] == reports["https_leaf_is_ca"].target]
    assert leaf_ca["metric"].tolist() == ["leaf_is_ca"]  # path_validation folded into the named defect
    assert findings["severity"].tolist() == sorted(findings["severity"], key=["critical", "warning", "info"].index)


def test_values_come_from_the_certificates(lab_reports: tuple[FaultLab, dict[str, TlsReport]]) -> None:
    _, reports = lab_reports
    soon = detect_tls_faults(reports["https_expiring_soon"], stores=["ca.pem"]).iloc[0]
    assert soon["metric"] == "days_left" and soon["value"] == pytest.approx(20, abs=0.1)
    assert soon["threshold"] == 30
    weak = detect_tls_faults(reports["https_weak_key"], stores=["ca.pem"]).iloc[0]
    assert (weak["metric"], weak["value"], weak["threshold"]) == ("key_bits", 1024, 2048)


def test_stores_are_merged_into_one_finding(lab_reports: tuple[FaultLab, dict[str, TlsReport]]) -> None:
    _, reports = lab_reports
    findings = detect_tls_faults(reports["https_missing_intermediate"])
    assert len(findings) == 1
    assert "[trust stores: certifi, ca.pem]" in findings["evidence"].iloc[0]
    chain_ok = detect_tls_faults(reports["https_chain_ok"])
    assert chain_ok["fault"].tolist() == ["tls_chain"] and "certifi" in chain_ok["evidence"].iloc[0]
    assert detect_tls_faults(reports["https_chain_ok"], stores=["ca.pem"]).empty


def test_verdict_frames_work_too(lab_reports: tuple[FaultLab, dict[str, TlsReport]]) -> None:
    _, reports = lab_reports
    verdicts = pd.concat([r.verdicts for r in reports.values()], ignore_index=True)
    before = verdicts.copy()
    from_frames = detect_tls_faults(verdicts, stores=["ca.pem"])
    from_reports = detect_tls_faults(list(reports.values()), stores=["ca.pem"])
    pd.testing.assert_frame_equal(verdicts, before)  # inputs are not mutated
    cols = ["fault", "severity", "subject", "evidence", "recommendation"]
    pd.testing.assert_frame_equal(from_frames[cols], from_reports[cols])
    assert from_frames["value"].isna().all() and from_frames["ts_start"].isna().all()


def test_network_failures_become_findings(lab_reports: tuple[FaultLab, dict[str, TlsReport]]) -> None:
    lab, _ = lab_reports
    refused = probe_tls(*lab.address("refused"), stores=("certifi",))
    timeout = probe_tls(*lab.address("blackhole"), stores=("certifi",), timeout=0.3)
    findings = detect_tls_faults([refused, timeout])
    assert sorted(findings["fault"]) == ["connect_refused", "timeout"]
    assert findings["evidence"].str.contains("A Go client logs").all()


def test_empty_input() -> None:
    findings = detect_tls_faults([])
    assert findings.empty
    validate(findings, "findings")
    assert expiry_table([]).empty


def test_expiry_table(lab_reports: tuple[FaultLab, dict[str, TlsReport]]) -> None:
    _, reports = lab_reports
    table = expiry_table(list(reports.values()))
    assert list(table.columns) == [
        "target",
        "position",
        "role",
        "subject",
        "not_before",
        "not_after",
        "days_left",
        "status",
        "severity",
    ]
    assert table["not_after"].is_monotonic_increasing
    n_certs = sum(len(r.certs) for r in reports.values())
    assert len(table) == n_certs  # every (target, cert) once
    status = {(t, p): s for t, p, s in zip(table["target"], table["position"], table["status"], strict=True)}
    assert status[(reports["https_expired"].target, 0)] == "expired"
    assert status[(reports["https_not_yet_valid"].target, 0)] == "not_yet_valid"
    assert status[(reports["https_expiring_soon"].target, 0)] == "expires_30d"
    assert status[(reports["https_chain_ok"].target, 0)] == "ok"
    roles = table[table["target"] == reports["https_root_sent"].target].set_index("position")["role"]
    assert roles.to_dict() == {0: "leaf", 1: "intermediate", 2: "root"}
    assert table.loc[table["status"] == "ok", "severity"].isna().all()
    assert set(table.loc[table["status"] == "expired", "severity"]) == {"critical"}


def test_expiry_table_from_a_postmortem_frame(lab_reports: tuple[FaultLab, dict[str, TlsReport]]) -> None:
    lab, _ = lab_reports
    at = dt.datetime.now(dt.UTC) + dt.timedelta(days=45)
    report = diagnose_chain(lab.chain_path("https_chain_ok"), "localhost", cafile=lab.ca_path, stores=(), at=at)
    doubled = pd.concat([report.certs, report.certs], ignore_index=True)
    table = expiry_table(doubled)
    assert table["status"].tolist() == ["expires_60d", "ok"] and table["severity"].tolist()[0] == "info"
    assert table["role"].tolist() == ["leaf", "intermediate"]
