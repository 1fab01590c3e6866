"""Glue for notebooks: set-up, getting evidence, and displaying tables.

Notebooks call these so they hold prose and calls, not logic. Findings are
displayed with a machine-readable twin (MIME type :data:`FINDINGS_MIME`) that
:mod:`apiprobe.report` collects into ``findings.json``.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from apiprobe.analyze.dns import ResolvConf, read_resolv_conf
from apiprobe.demo import demo_probes
from apiprobe.errors import ApiprobeError
from apiprobe.load.tables import read_dns, read_probes
from apiprobe.probe._resolve import parse_hostport
from apiprobe.probe.dns import probe_dns
from apiprobe.probe.http import probe_http
from apiprobe.probe.tls import TLSReport, diagnose_chain, probe_tls
from apiprobe.schema import conform, validate

__all__ = [
    "FINDINGS_MIME",
    "DnsEvidence",
    "Evidence",
    "TlsEvidence",
    "get_dns",
    "get_probes",
    "get_tls_reports",
    "setup_notebook",
    "show_baseline",
    "show_chains",
    "show_dns_overview",
    "show_findings",
    "show_go_log_match",
    "show_overview",
    "show_table",
    "show_tls_failures",
    "show_tls_overview",
]

#: MIME type of the findings records a notebook publishes for the report.
FINDINGS_MIME = "application/vnd.apiprobe.findings+json"

_SEVERITY_STYLE = {"critical": "#b42318", "warning": "#b54708", "info": "#175cd3"}


#: Name of the plotly renderer registered by :func:`setup_notebook`.
HTML_RENDERER = "apiprobe_offline_html"


def _register_renderer() -> None:
    import plotly.io as pio
    from plotly.io.base_renderers import MimetypeRenderer

    class OfflineHtmlRenderer(MimetypeRenderer):
        """``text/html`` figure output that loads nothing: no plotly.js, no MathJax.

        plotly's own ``notebook`` renderer hard-codes MathJax from a CDN. The
        report template (``templates/apiprobe_offline``) puts plotly.js inline
        in the page head once, so every figure finds ``window.Plotly``.
        """

        def to_mimebundle(self, fig_dict: Any) -> dict[str, str]:
            page = pio.to_html(fig_dict, include_plotlyjs=False, include_mathjax=False, full_html=False,
                               default_width="100%", default_height=525, config={"displaylogo": False})
            return {"text/html": page}

    pio.renderers[HTML_RENDERER] = OfflineHtmlRenderer()


def setup_notebook() -> None:
    """Configure plotly so figures show in JupyterLab and in offline HTML reports.

    Each figure is published twice: as plotly's mimetype (JupyterLab renders
    it interactively) and as a bare ``text/html`` div that the HTML export
    uses, with plotly.js embedded once by the report template, so reports
    work with the network off.
    """
    import plotly.io as pio
    from IPython import get_ipython

    if HTML_RENDERER not in pio.renderers:
        _register_renderer()
    pio.renderers.default = f"plotly_mimetype+{HTML_RENDERER}"
    pd.set_option("display.max_colwidth", 200)
    shell = get_ipython()
    if shell is not None:
        shell.set_custom_exc((ApiprobeError,), _short_error)


def _short_error(shell: Any, etype: type[BaseException], evalue: BaseException, tb: Any,
                 tb_offset: int | None = None) -> list[str]:
    """Show an apiprobe error as its message, not a Python traceback.

    apiprobe errors name the bad parameter or file and what is wrong with it;
    a stack of library frames would only bury that in a report. The cell
    still fails, so papermill and the report mark the run failed.
    """
    stb = [f"\x1b[31m{etype.__name__}: {evalue}\x1b[0m",
           "Fix the parameter or input named above, then run the notebook again."]
    # IPython calls custom handlers without displaying what they return; publish it as the
    # cell's error output (ename/evalue intact, so papermill reports the real error).
    shell._showtraceback(etype, evalue, stb)
    return stb


@dataclass(frozen=True)
class Evidence:
    """The probes a notebook analyses and where they came from."""

    probes: pd.DataFrame
    source: str
    baseline: pd.DataFrame | None = None


def get_probes(
    *,
    targets: list[str] | tuple[str, ...] = (),
    probes_path: str | os.PathLike[str] = "",
    baseline_path: str | os.PathLike[str] = "",
    count: int = 20,
    interval: float = 0.5,
    timeout_ms: float = 2000.0,
    cafile: str = "",
    concurrency: int = 16,
) -> Evidence:
    """Probe ``targets`` live, or read ``probes_path``, or fall back to the demo incident.

    Parameters
    ----------
    targets
        URLs to probe now. Wins over ``probes_path``.
    probes_path
        A saved probes table (CSV, Parquet, JSON lines) to analyse instead.
    baseline_path
        An optional earlier probes table to compare against.
    count, interval, timeout_ms, cafile, concurrency
        Passed to :func:`apiprobe.probe_http` (``timeout_ms`` in ms).
    """
    baseline = read_probes(baseline_path) if baseline_path else None
    if targets:
        probes = probe_http(list(targets), count=count, interval=interval, timeout=timeout_ms / 1000.0,
                            cafile=cafile or None, concurrency=concurrency)
        source = f"live probes of {len(targets)} target(s), {count} attempts each, {interval:g} s apart"
    elif probes_path:
        probes = read_probes(probes_path)
        source = f"saved probes from {Path(probes_path).name}"
    else:
        probes = demo_probes()
        if baseline is None:
            baseline = demo_probes(incident=False)
        source = "the built-in demo incident (no targets or probes_path given)"
    validate(probes, "probes")
    return Evidence(probes=probes, source=source, baseline=baseline)


@dataclass(frozen=True)
class DnsEvidence:
    """The DNS queries a notebook analyses, where they came from, and the resolv.conf in force."""

    dns: pd.DataFrame
    source: str
    resolv_conf: ResolvConf | None = None


def get_dns(
    *,
    names: list[str] | tuple[str, ...] = (),
    resolvers: list[str] | tuple[str, ...] = ("system",),
    rtypes: list[str] | tuple[str, ...] = ("A", "AAAA"),
    count: int = 5,
    interval: float = 0.5,
    timeout_ms: float = 2000.0,
    dns_path: str | os.PathLike[str] = "",
    resolv_conf: str | os.PathLike[str] = "/etc/resolv.conf",
) -> DnsEvidence:
    """Resolve ``names`` now, or read ``dns_path``, or query the lab's DNS zone on loopback.

    Parameters
    ----------
    names
        Names to resolve with every resolver in ``resolvers`` ("system" or "IP[:port]").
    dns_path
        A saved ``dns`` table to analyse instead.
    resolv_conf
        resolv.conf to analyse for search-list/ndots expansion ("" to skip). Missing
        files are treated as resolv.conf(5) defaults.
    count, interval, timeout_ms, rtypes
        Passed to :func:`apiprobe.probe_dns` (``timeout_ms`` in ms).

    With neither ``names`` nor ``dns_path``, two lab DNS servers (an "inside"
    and an "outside" view of the zone ``lab.test``) are started on 127.0.0.1
    and queried, so the notebook shows every fault without touching the network.
    """
    conf = read_resolv_conf(Path(resolv_conf)) if resolv_conf else None
    if names:
        dns = probe_dns(list(names), rtypes=tuple(rtypes), resolvers=tuple(resolvers), count=count,
                        interval=interval, timeout=timeout_ms / 1000.0)
        source = f"live queries of {len(names)} name(s) via {', '.join(resolvers)}, {count} round(s)"
    elif dns_path:
        dns = read_dns(dns_path)
        source = f"saved queries from {Path(dns_path).name}"
    else:
        from apiprobe.lab._dns import DnsServer, default_lab_zone

        with DnsServer(default_lab_zone(view="inside")) as inside, \
                DnsServer(default_lab_zone(view="outside")) as outside:
            lab_names = [f"{n}.lab.test" for n in ("ok", "alias", "slow", "jitter", "nx", "fail", "drop",
                                                    "flap", "short-ttl", "split", "big", "v4only")]
            dns = probe_dns(lab_names, rtypes=tuple(rtypes), resolvers=(inside.spec, outside.spec),
                            count=min(count, 4), interval=interval, timeout=min(timeout_ms, 1000.0) / 1000.0)
        source = "the built-in lab zone on two loopback DNS servers (no names or dns_path given)"
    validate(dns, "dns")
    return DnsEvidence(dns=dns, source=source, resolv_conf=conf)


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    out = df.copy()
    for col in out.columns:
        if str(out[col].dtype).startswith("datetime64"):
            out[col] = out[col].map(lambda t: t.isoformat() if pd.notna(t) else None)
    out = out.astype(object).where(out.notna(), None)
    return [{str(k): v for k, v in r.items()} for r in out.to_dict(orient="records")]


def show_table(df: pd.DataFrame, *, caption: str = "", max_rows: int = 50, float_format: str = "{:.1f}") -> Any:
    """Display a table as escaped HTML (text from logs or servers cannot inject markup)."""
    from IPython.display import HTML, display

    shown = df.head(max_rows)
    body = shown.to_html(index=False, escape=True, na_rep="—", border=0, classes="apiprobe-table",
                         float_format=lambda v: float_format.format(v))
    cap = f"<p><b>{html.escape(caption)}</b></p>" if caption else ""
    more = f"<p><i>{len(df) - max_rows} more rows not shown.</i></p>" if len(df) > max_rows else ""
    return display(HTML(cap + body + more))


def show_findings(findings: pd.DataFrame) -> Any:
    """Display findings as cards (most severe first) and publish them for the report."""
    from IPython.display import display

    validate(findings, "findings")
    if findings.empty:
        body = "<p><b>No findings.</b> Nothing crossed the thresholds in this data.</p>"
    else:
        cards = []
        for row in findings.itertuples(index=False):
            colour = _SEVERITY_STYLE.get(str(row.severity), "#344054")
            cards.append(
                f'<div style="border-left:4px solid {colour};padding:4px 10px;margin:6px 0">'
                f'<b style="color:{colour}">{html.escape(str(row.severity).upper())}</b> · '
                f"<b>{html.escape(str(row.fault))}</b> · {html.escape(str(row.subject))}<br>"
                f"{html.escape(str(row.evidence))}<br>"
                f"<i>Next:</i> {html.escape(str(row.recommendation))} "
                f'<span style="color:#667085">(handbook {html.escape(str(row.handbook_ref))})</span></div>'
            )
        body = "".join(cards)
    bundle = {
        "text/html": body,
        "text/plain": f"{len(findings)} finding(s)",
        FINDINGS_MIME: {"findings": _records(findings)},
    }
    return display(bundle, raw=True)


def show_overview(evidence: Evidence, *, title: str = "") -> Any:
    """Display what the notebook is looking at: source, time range, attempts per target."""
    from IPython.display import HTML, display

    p = evidence.probes
    head = f"<h2>{html.escape(title)}</h2>" if title else ""
    if p.empty:
        return display(HTML(head + f"<p>No probes in {html.escape(evidence.source)}.</p>"))
    span = f"{p['ts'].min():%Y-%m-%d %H:%M:%S} → {p['ts'].max():%Y-%m-%d %H:%M:%S} UTC"
    status = pd.to_numeric(p["status"], errors="coerce")
    per_target = p.assign(failed=p["error_kind"].notna(), http_5xx=status >= 500).groupby("target").agg(
        attempts=("ts", "size"), failed=("failed", "sum"), http_5xx=("http_5xx", "sum"),
        first=("ts", "min"), last=("ts", "max")).reset_index()
    display(HTML(head + f"<p>Data: {html.escape(evidence.source)}; {len(p)} attempts, {html.escape(span)}.</p>"))
    return show_table(per_target, caption="Attempts per target")


def show_baseline(evidence: Evidence) -> Any:
    """Display the comparison against the baseline, or say that none was given."""
    from IPython.display import HTML, display

    from apiprobe.analyze.latency import compare_latency

    if evidence.baseline is None:
        return display(HTML("<p><i>No baseline given (parameter <code>baseline_path</code>).</i></p>"))
    table = compare_latency(evidence.probes, evidence.baseline)
    table = table[table["phase"].isin(["total_ms", "connect_ms", "ttfb_ms", "dns_ms", "tls_ms"])]
    return show_table(table.dropna(subset=["p50_ms", "p50_ms_baseline"], how="all"),
                      caption="Now against the baseline (ratios > 1: slower now)", float_format="{:.2f}")


def show_dns_overview(evidence: DnsEvidence, *, title: str = "") -> Any:
    """Display what the DNS notebook is looking at: source, time range, queries per resolver."""
    from IPython.display import HTML, display

    d = evidence.dns
    head = f"<h2>{html.escape(title)}</h2>" if title else ""
    conf = evidence.resolv_conf
    conf_text = (f"resolv.conf: nameservers {', '.join(conf.nameservers) or '(none)'}, search "
                 f"{' '.join(conf.search) or '(none)'}, ndots {conf.ndots}, timeout {conf.timeout} s, "
                 f"attempts {conf.attempts}." if conf is not None else "resolv.conf not analysed.")
    if d.empty:
        return display(HTML(head + f"<p>No queries in {html.escape(evidence.source)}.</p>"))
    span = f"{d['ts'].min():%Y-%m-%d %H:%M:%S} → {d['ts'].max():%Y-%m-%d %H:%M:%S} UTC"
    per = d.assign(failed=d["error_kind"].notna()).groupby("resolver").agg(
        queries=("ts", "size"), failed=("failed", "sum"), names=("name", "nunique")).reset_index()
    display(HTML(head + f"<p>Data: {html.escape(evidence.source)}; {len(d)} queries, {html.escape(span)}.<br>"
                 f"{html.escape(conf_text)}</p>"))
    return show_table(per, caption="Queries per resolver")


@dataclass(frozen=True)
class TlsEvidence:
    """The TLS reports a notebook analyses and where they came from."""

    reports: list[TLSReport]
    source: str

    @property
    def certs(self) -> pd.DataFrame:
        """Every certificate of every report (schema ``certs``)."""
        return conform(pd.concat([r.certs for r in self.reports], ignore_index=True) if self.reports else None,
                       "certs")

    @property
    def verdicts(self) -> pd.DataFrame:
        """Every check of every report and trust store (schema ``tls_verdicts``)."""
        frames = [r.verdicts for r in self.reports]
        return conform(pd.concat(frames, ignore_index=True) if frames else None, "tls_verdicts")


def _relabel(report: TLSReport, label: str) -> TLSReport:
    """The same report under a readable target name (the lab's endpoint names)."""
    import dataclasses

    return dataclasses.replace(report, target=label, certs=report.certs.assign(target=label),
                               verdicts=report.verdicts.assign(target=label))


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
    """
    when = at or None
    reports: list[TLSReport] = []
    if targets:
        for t in targets:
            host, port = parse_hostport(t, default_port=443)
            reports.append(probe_tls(host, port, servername=hostname or None, cafile=cafile or None,
                                     timeout=timeout_ms / 1000.0, at=when))
        source = f"live handshakes with {len(targets)} target(s)"
    elif pem_paths:
        for path in pem_paths:
            reports.append(diagnose_chain(Path(path), hostname or None, cafile=cafile or None, at=when,
                                          target=Path(path).name))
        source = f"{len(pem_paths)} PEM file(s), checked for {hostname or 'the leaf names'}"
    else:
        from apiprobe.lab import FaultLab

        with FaultLab() as lab:
            names = [n for n in lab.endpoints if n.startswith("https_")]
            for name in names:
                host, port = lab.address(name)
                report = probe_tls(host, port, cafile=str(lab.ca_path), stores=(), timeout=timeout_ms / 1000.0,
                                   at=when)
                reports.append(_relabel(report, name))
        source = (f"the built-in fault lab: {len(names)} HTTPS endpoints, one certificate defect each, "
                  "checked against the lab's own root (ca.pem) only (no targets or pem_paths given)")
    return TlsEvidence(reports=reports, source=source)


def show_tls_overview(evidence: TlsEvidence, *, title: str = "") -> Any:
    """Display one line per target and trust store: trusted or not, and why."""
    from IPython.display import HTML, display

    head = f"<h2>{html.escape(title)}</h2>" if title else ""
    display(HTML(head + f"<p>Data: {html.escape(evidence.source)}.</p>"))
    rows = []
    for r in evidence.reports:
        for store in r.stores:
            rows.append({"target": r.target, "store": store, "verdict": r.overall.get(store, ""),
                         "tls": r.tls_version, "handshake_ms": r.handshake_ms,
                         "go_logs": r.go_error(store) or "— (connects)"})
    return show_table(pd.DataFrame(rows), caption="Verdict per target and trust store", max_rows=200)


def show_tls_failures(evidence: TlsEvidence, *, store: str | None = None) -> Any:
    """Display the failed checks (one row per target × store × check) with Go's log line and the fix."""
    v = evidence.verdicts
    bad = v[~v["ok"].fillna(True).astype(bool)]
    if store is not None:
        bad = bad[bad["store"] == store]
    cols = ["target", "store", "check", "severity", "detail", "go_error", "recommendation"]
    return show_table(bad[cols], caption="Failed checks", max_rows=300)


def show_chains(evidence: TlsEvidence, *, store: str | None = None) -> None:
    """Show the chain figure of every target (leaf first, validity bars, defect badges)."""
    from apiprobe.plot.tls import fig_chain

    for r in evidence.reports:
        chosen = store if store in r.stores else (r.stores[-1] if r.stores else None)
        fig_chain(r.certs, r.verdicts, target=r.target, store=chosen, at=pd.Timestamp(r.at)).show()


def show_go_log_match(line: str, evidence: TlsEvidence) -> Any:
    """Display the causes a Go TLS error line can have, and which targets show them."""
    from IPython.display import HTML, display

    from apiprobe.analyze.tls import go_error_causes

    if not line.strip():
        return display(HTML("<p><i>No log line given (parameter <code>go_log</code>).</i></p>"))
    table = go_error_causes(line, evidence.reports)
    if table.empty:
        return display(HTML(f"<p>No known TLS cause matches <code>{html.escape(line)}</code>.</p>"))
    return show_table(table, caption=f"Causes of: {line}")
