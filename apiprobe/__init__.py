"""apiprobe: probes and notebooks for diagnosing failing API calls between services.

The flow is collect → load → analyze → show → report:

* :mod:`apiprobe.probe` — live HTTP(S) and TCP probes (network side effects only here);
* :mod:`apiprobe.load` — saved tables and evidence files into DataFrames;
* :mod:`apiprobe.analyze` — pure DataFrame → DataFrame functions and ``detect_*`` findings;
* :mod:`apiprobe.plot`, :mod:`apiprobe.widgets` — ``fig_*`` builders and explorers;
* :mod:`apiprobe.report` — papermill runs and offline HTML reports;
* :mod:`apiprobe.lab` — the fault lab, real faulty servers on loopback.
"""

from apiprobe.analyze import (
    ResolvConf,
    compare_latency,
    detect_dns_faults,
    detect_latency_faults,
    detect_tls_faults,
    expand_name,
    expiry_table,
    go_error_causes,
    jitter_stats,
    parse_resolv_conf,
    read_resolv_conf,
    select_probes,
    summarize_dns,
    summarize_latency,
)
from apiprobe.demo import demo_pings, demo_probes, write_demo
from apiprobe.errors import (
    ApiprobeError,
    DataFormatError,
    InvalidTargetError,
    LabError,
    ReportError,
    SchemaError,
)
from apiprobe.lab import DnsServer, FaultLab
from apiprobe.load import read_dns, read_pings, read_probes, write_table
from apiprobe.notebook import (
    DnsEvidence,
    Evidence,
    TlsEvidence,
    get_dns,
    get_probes,
    get_tls_reports,
    setup_notebook,
    show_baseline,
    show_chains,
    show_dns_overview,
    show_findings,
    show_go_log_match,
    show_overview,
    show_table,
    show_tls_failures,
    show_tls_overview,
)
from apiprobe.plot import (
    fig_chain,
    fig_dns_latency,
    fig_ecdf,
    fig_error_timeline,
    fig_expiry_timeline,
    fig_histogram,
    fig_jitter_loss,
    fig_phase_breakdown,
    fig_resolver_matrix,
    fig_smoke,
    fig_waterfall,
)
from apiprobe.probe import (
    TLSReport,
    aprobe_dns,
    aprobe_http,
    aprobe_tcp,
    diagnose_chain,
    probe_dns,
    probe_http,
    probe_tcp,
    probe_tls,
)
from apiprobe.report import NotebookRun, run_report
from apiprobe.schema import conform, validate
from apiprobe.widgets import LatencyExplorer

__version__ = "0.1.0"

__all__ = [
    "ApiprobeError",
    "DataFormatError",
    "DnsEvidence",
    "DnsServer",
    "Evidence",
    "FaultLab",
    "InvalidTargetError",
    "LabError",
    "LatencyExplorer",
    "NotebookRun",
    "ReportError",
    "ResolvConf",
    "SchemaError",
    "TLSReport",
    "TlsEvidence",
    "aprobe_dns",
    "aprobe_http",
    "aprobe_tcp",
    "compare_latency",
    "conform",
    "demo_pings",
    "demo_probes",
    "detect_dns_faults",
    "detect_latency_faults",
    "detect_tls_faults",
    "diagnose_chain",
    "expand_name",
    "expiry_table",
    "fig_chain",
    "fig_dns_latency",
    "fig_ecdf",
    "fig_error_timeline",
    "fig_expiry_timeline",
    "fig_histogram",
    "fig_jitter_loss",
    "fig_phase_breakdown",
    "fig_resolver_matrix",
    "fig_smoke",
    "fig_waterfall",
    "get_dns",
    "get_probes",
    "get_tls_reports",
    "go_error_causes",
    "jitter_stats",
    "parse_resolv_conf",
    "probe_dns",
    "probe_http",
    "probe_tcp",
    "probe_tls",
    "read_dns",
    "read_pings",
    "read_probes",
    "read_resolv_conf",
    "run_report",
    "select_probes",
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
    "summarize_dns",
    "summarize_latency",
    "validate",
    "write_demo",
    "write_table",
]
