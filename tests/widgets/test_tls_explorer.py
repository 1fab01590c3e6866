"""The TLS explorer shows the verdicts of one trust store, or every store side by side, per target."""

from __future__ import annotations

import dataclasses
import shutil
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import pytest
from explorer_display import drawn_html
from IPython.core.interactiveshell import InteractiveShell

from apiprobe.lab import FaultLab
from apiprobe.notebook import get_tls_reports
from apiprobe.notebook.tls import TlsEvidence
from apiprobe.probe import probe_tls
from apiprobe.widgets import TlsExplorer
from apiprobe.widgets._explorer import ALL, CSS_CLASS
from apiprobe.widgets.tls import COMPARE


@pytest.fixture(scope="module")
def demo() -> TlsEvidence:
    """The notebook's default: the fault lab's HTTPS endpoints against the lab's root (ca.pem) only."""
    return get_tls_reports()


@pytest.fixture(scope="module")
def stores(lab: FaultLab) -> TlsEvidence:
    """Two lab endpoints checked against certifi, the system store and the lab's private root."""
    targets = ["{}:{}".format(*lab.address(name)) for name in ("https_chain_ok", "https_missing_intermediate")]
    return get_tls_reports(targets=targets, cafile=str(lab.ca_path))


@pytest.fixture(scope="module")
def two_files(lab: FaultLab, tmp_path_factory: pytest.TempPathFactory) -> TlsEvidence:
    """https_ok checked against the lab's root (ca.pem) only, https_expired against a copy (other.pem) only."""
    other = tmp_path_factory.mktemp("stores") / "other.pem"
    shutil.copyfile(lab.ca_path, other)
    reports = []
    for name, cafile in (("https_ok", lab.ca_path), ("https_expired", other)):
        report = probe_tls(*lab.address(name), cafile=str(cafile), stores=())
        reports.append(dataclasses.replace(report, target=name, verdicts=report.verdicts.assign(target=name)))
    return TlsEvidence(reports=reports, source="two CA files")


def test_demo_one_store_per_target_then_one_target(demo: TlsEvidence) -> None:
    verdicts, certs = demo.verdicts.copy(), demo.certs.copy()
    ex = TlsExplorer(demo)
    assert CSS_CLASS in ex._dom_classes
    assert list(ex.store.options) == ["ca.pem", COMPARE] and ex.store.value == "ca.pem" and ex.target.value == ALL
    table = ex.table()
    assert table["target"].tolist() == [r.target for r in demo.reports]
    assert table["verdict"].tolist() == [r.overall["ca.pem"].removeprefix("ca.pem: ") for r in demo.reports]
    assert table["trusted"].tolist() == [r.trusted("ca.pem") for r in demo.reports]
    assert len(ex.figure().data[0].x) == len(demo.certs)
    expired = next(i for label, i in ex.target.options if label == "https_expired")
    ex.target.value = expired
    report = demo.reports[expired]
    checks = ex.table().set_index("check")
    assert len(checks) == (report.verdicts["store"] == "ca.pem").sum()
    assert not checks.at["expired", "ok"] and checks.at["expired", "go_error"] == report.go_error("ca.pem")
    assert len(ex.figure().data[0].x) == len(report.certs)  # the expiry of this target's certificates only
    assert ex.chosen().reports == [report]
    pd.testing.assert_frame_equal(demo.verdicts, verdicts)
    pd.testing.assert_frame_equal(demo.certs, certs)


def test_demo_compare_lays_the_stores_side_by_side(demo: TlsEvidence, shell: InteractiveShell) -> None:
    ex = TlsExplorer(demo)
    one_store = drawn_html(ex)
    assert "Verdicts with trust store ca.pem" in one_store and "Failed checks" in one_store
    ex.store.value = COMPARE
    compared = drawn_html(ex)
    assert compared != one_store and "Pick a target" in compared
    wide = ex.table()
    assert list(wide.columns) == ["target", "ca.pem"] and len(wide) == len(demo.reports)
    ex.target.value = next(i for label, i in ex.target.options if label == "https_self_signed")
    wide = ex.table().set_index("check")
    assert wide.at["self_signed", "ca.pem"] == "CRITICAL" and wide.at["hostname_mismatch", "ca.pem"] == "ok"


def test_the_private_root_is_trusted_by_its_own_store_only(stores: TlsEvidence, shell: InteractiveShell) -> None:
    ex = TlsExplorer(stores)
    assert list(ex.store.options) == ["certifi", "system", "ca.pem", COMPARE]
    assert ex.store.value == "ca.pem"  # the CA file given is the store picked first
    ok, broken = stores.reports
    assert ex.table()["verdict"].tolist() == ["TRUSTED", "UNTRUSTED — missing intermediate"]
    ex.store.value = "certifi"
    table = ex.table()
    assert table["verdict"].iloc[0] == "UNTRUSTED — untrusted root" and not table["trusted"].any()
    assert table["defects"].iloc[0] == "untrusted_root" and table["go_error"].iloc[0] == ok.go_error("certifi")
    html = drawn_html(ex)
    assert "0 of 2 trusted by certifi" in html and "untrusted_root" in html
    ex.store.value = COMPARE
    wide = ex.table()
    assert wide.loc[0, "ca.pem"] == "TRUSTED" and wide.loc[0, "certifi"].startswith("UNTRUSTED")
    ex.target.value = 0
    wide = ex.table().set_index("check")
    assert wide.loc["untrusted_root", ["certifi", "ca.pem"]].tolist() == ["CRITICAL", "ok"]
    assert "Pick a target" not in drawn_html(ex)
    ex.store.value = "ca.pem"
    assert ex.table().set_index("check")["ok"].all()
    assert broken.defects("ca.pem") == ["missing_intermediate"]


def test_no_reports_draws_a_note(shell: InteractiveShell) -> None:
    ex = TlsExplorer(TlsEvidence(reports=[], source="nothing"))
    assert ex.store.options == (COMPARE,) and ex.table().empty
    assert "No TLS reports" in drawn_html(ex)


def test_one_store_leaves_out_the_chains_not_checked_against_it(
    two_files: TlsEvidence, shell: InteractiveShell, monkeypatch: pytest.MonkeyPatch
) -> None:
    chains: list[tuple[str, str | None]] = []

    def fig_chain(certs: pd.DataFrame, verdicts: pd.DataFrame, *, target: str, store: str | None, at: Any) -> go.Figure:
        chains.append((target, store))
        return go.Figure()

    monkeypatch.setattr("apiprobe.plot.tls.fig_chain", fig_chain)  # show_chains imports it when called
    ex = TlsExplorer(two_files)
    assert [r.stores for r in two_files.reports] == [["ca.pem"], ["other.pem"]]
    assert list(ex.store.options) == ["ca.pem", "other.pem", COMPARE]
    ex.store.value = "ca.pem"
    assert ex.table()[["target", "verdict"]].values.tolist() == [["https_ok", "TRUSTED"]]
    html = drawn_html(ex)
    assert chains == [("https_ok", "ca.pem")]  # not https_expired, badged with other.pem's verdicts
    assert "1 of 1 trusted by ca.pem" in html and "left out: https_expired" in html
    failed = html.split("Failed checks", 1)[1]
    assert "https_expired" not in failed and "other.pem" not in failed
    chains.clear()
    ex.store.value = "other.pem"
    html = drawn_html(ex)
    assert ex.table()["target"].tolist() == ["https_expired"] and chains == [("https_expired", "other.pem")]
    assert "left out: https_ok" in html and "https_expired" in html.split("Failed checks", 1)[1]
    chains.clear()
    ex.target.value = 1  # https_expired, never checked against ca.pem
    ex.store.value = "ca.pem"
    html = drawn_html(ex)
    assert ex.table().empty and chains == [] and "0 of 0 trusted by ca.pem" in html
    chains.clear()
    ex.store.value = COMPARE  # every store of the one target
    drawn_html(ex)
    assert chains == [("https_expired", "other.pem")]
