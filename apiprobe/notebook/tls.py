"""Notebook glue for 02_tls_certificates: get TLS reports, show verdicts, chains and causes."""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from apiprobe.analyze.tls import TlsReport, diagnose_chain
from apiprobe.notebook._common import heading
from apiprobe.notebook._display import show_table
from apiprobe.probe._resolve import parse_hostport
from apiprobe.probe.tls import probe_tls
from apiprobe.schema import conform

__all__ = [
    "TlsEvidence",
    "get_tls_reports",
    "show_chains",
    "show_go_log_match",
    "show_tls_failures",
    "show_tls_overview",
]


@dataclass(frozen=True)
class TlsEvidence:
    """The TLS reports a notebook analyses and where they came from.

    Attributes
    ----------
    reports : list of TlsReport
        One report per target or PEM file: its chain, and a verdict per trust store.
    source : str
        Where they came from, in words.
    certs : pandas.DataFrame
        Every certificate of every report, schema ``certs`` (a property).
    verdicts : pandas.DataFrame
        Every check of every report and trust store, schema ``tls_verdicts`` (a property).
    """

    reports: list[TlsReport]
    source: str

    @property
    def certs(self) -> pd.DataFrame:
        """Every certificate of every report (schema ``certs``)."""
        return conform(pd.concat([r.certs for r in self.reports], ignore_index=True) if self.reports else None, "certs")

    @property
    def verdicts(self) -> pd.DataFrame:
        """Every check of every report and trust store (schema ``tls_verdicts``)."""
        frames = [r.verdicts for r in self.reports]
        return conform(pd.concat(frames, ignore_index=True) if frames else None, "tls_verdicts")


def _relabel(report: TlsReport, label: str) -> TlsReport:
    """The same report under a readable target name (the lab's endpoint names)."""
    import dataclasses

    return dataclasses.replace(
        report, target=label, certs=report.certs.assign(target=label), verdicts=report.verdicts.assign(target=label)
    )


def get_tls_reports(
    *,
    targets: list[str] | tuple[str, ...] = (),
    pem_paths: list[str] | tuple[str, ...] = (),
    hostname: str = "",
    cafile: str = "",
    at: str = "",
    timeout_ms: float = 5000.0,
) -> TlsEvidence:
    """Inspect ``targets`` live, or diagnose ``pem_paths`` offline, or walk the fault lab's broken chains.

    Parameters
    ----------
    targets
        ``host:port``, ``host`` (port 443) or https URLs.
    pem_paths
        PEM files or saved ``openssl s_client -showcerts`` output; ``hostname`` is the name checked.
    hostname
        The name the client asks for (SNI and certificate check); default: each target's host.
    cafile
        An extra trust store to evaluate besides certifi and the system store.
    at
        Evaluate validity at this time (ISO 8601), e.g. when the incident began; default: now.
    timeout_ms
        Per target, connect plus handshake.

    With neither ``targets`` nor ``pem_paths``, a fault lab is started on
    127.0.0.1 and every HTTPS endpoint is inspected, one certificate defect each,
    against the lab's root alone (store ``ca.pem``): certifi and the system store
    would only repeat that the lab's private root is not theirs.

    Returns
    -------
    TlsEvidence
        The reports and their source.
    """
    when = at or None
    reports: list[TlsReport] = []
    if targets:
        for t in targets:
            host, port = parse_hostport(t, default_port=443)
            reports.append(
                probe_tls(
                    host, port, servername=hostname or None, cafile=cafile or None, timeout=timeout_ms / 1000.0, at=when
                )
            )
        source = f"live handshakes with {len(targets)} target(s)"
    elif pem_paths:
        for path in pem_paths:
            reports.append(
                diagnose_chain(Path(path), hostname or None, cafile=cafile or None, at=when, target=Path(path).name)
            )
        source = f"{len(pem_paths)} PEM file(s), checked for {hostname or 'the leaf names'}"
    else:
        from apiprobe.lab import FaultLab

        with FaultLab() as lab:
            names = [n for n in lab.endpoints if n.startswith("https_")]
            for name in names:
                host, port = lab.address(name)
                report = probe_tls(host, port, cafile=str(lab.ca_path), stores=(), timeout=timeout_ms / 1000.0, at=when)
                reports.append(_relabel(report, name))
        source = (
            f"the built-in fault lab: {len(names)} HTTPS endpoints, one certificate defect each, "
            "checked against the lab's own root (ca.pem) only (no targets or pem_paths given)"
        )
    return TlsEvidence(reports=reports, source=source)


def show_tls_overview(evidence: TlsEvidence, *, title: str = "") -> None:
    """Display one line per target and trust store: trusted or not, and why.

    Parameters
    ----------
    evidence : TlsEvidence
        What :func:`get_tls_reports` returned.
    title : str, optional
        A heading above the overview.
    """
    from IPython.display import HTML, display

    head = heading(title)
    display(HTML(head + f"<p>Data: {html.escape(evidence.source)}.</p>"))
    rows = []
    for r in evidence.reports:
        for store in r.stores:
            rows.append(
                {
                    "target": r.target,
                    "store": store,
                    "verdict": r.overall.get(store, ""),
                    "tls": r.tls_version,
                    "handshake_ms": r.handshake_ms,
                    "go_logs": r.go_error(store) or "— (connects)",
                }
            )
    show_table(pd.DataFrame(rows), caption="Verdict per target and trust store", max_rows=200)


def show_tls_failures(evidence: TlsEvidence, *, store: str | None = None) -> None:
    """Display the failed checks (one row per target × store × check) with Go's log line and the fix.

    Parameters
    ----------
    evidence : TlsEvidence
        What :func:`get_tls_reports` returned.
    store : str, optional
        Only this trust store's checks; default: every store's.
    """
    v = evidence.verdicts
    bad = v[~v["ok"].fillna(True).astype(bool)]
    if store is not None:
        bad = bad[bad["store"] == store]
    cols = ["target", "store", "check", "severity", "detail", "go_error", "recommendation"]
    show_table(bad[cols], caption="Failed checks", max_rows=300)


def show_chains(evidence: TlsEvidence, *, store: str | None = None) -> None:
    """Show the chain figure of every target (leaf first, validity bars, defect badges).

    Parameters
    ----------
    evidence : TlsEvidence
        What :func:`get_tls_reports` returned.
    store : str, optional
        The trust store whose verdicts badge the chain; default (or when a
        report lacks it): the report's last store.
    """
    from apiprobe.plot.tls import fig_chain

    for r in evidence.reports:
        chosen = store if store in r.stores else (r.stores[-1] if r.stores else None)
        fig_chain(r.certs, r.verdicts, target=r.target, store=chosen, at=pd.Timestamp(r.at)).show()


def show_go_log_match(line: str, evidence: TlsEvidence) -> None:
    """Display the causes a Go TLS error line can have, and which targets show them.

    Parameters
    ----------
    line : str
        A TLS error line from a Go service's log (``x509: …``, ``tls: …``).
    evidence : TlsEvidence
        What :func:`get_tls_reports` returned; its targets are matched to the causes.
    """
    from IPython.display import HTML, display

    from apiprobe.analyze.tls import go_error_causes

    if not line.strip():
        display(HTML("<p><i>No log line given (parameter <code>go_log</code>).</i></p>"))
        return
    table = go_error_causes(line, evidence.reports)
    if table.empty:
        display(HTML(f"<p>No known TLS cause matches <code>{html.escape(line)}</code>.</p>"))
        return
    show_table(table, caption=f"Causes of: {line}")
