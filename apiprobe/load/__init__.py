"""Load: files into evidence tables.

``read_*`` opens a path; ``parse_*`` takes text, bytes or a file object.
Unreadable input raises :class:`~apiprobe.errors.DataFormatError` naming the
file and what is wrong.
"""

from apiprobe.load.certs import parse_certificates, read_certificates
from apiprobe.load.evidence import Evidence, read_evidence
from apiprobe.load.goroutines import WAIT_SITES, parse_goroutines, read_goroutines
from apiprobe.load.har import HAR_EXTRA_COLUMNS, parse_har, read_har
from apiprobe.load.logs import DIALECTS, parse_logs, read_logs, summarize_log_sources
from apiprobe.load.metrics import METRIC_TYPES, parse_metrics_text, read_metrics_text
from apiprobe.load.payloads import read_payloads
from apiprobe.load.pprof import Profile, parse_pprof, read_pprof
from apiprobe.load.resolv_conf import ResolvConf, parse_resolv_conf, read_resolv_conf
from apiprobe.load.tables import read_dns, read_pings, read_probes, write_table
from apiprobe.load.timeouts import parse_timeouts, read_timeouts
from apiprobe.load.traces import SPAN_KINDS, TRACE_FORMATS, parse_traces, read_traces

__all__ = [
    "DIALECTS",
    "HAR_EXTRA_COLUMNS",
    "METRIC_TYPES",
    "SPAN_KINDS",
    "TRACE_FORMATS",
    "WAIT_SITES",
    "Evidence",
    "Profile",
    "ResolvConf",
    "parse_certificates",
    "parse_goroutines",
    "parse_har",
    "parse_logs",
    "parse_metrics_text",
    "parse_pprof",
    "parse_resolv_conf",
    "parse_timeouts",
    "parse_traces",
    "read_certificates",
    "read_dns",
    "read_evidence",
    "read_goroutines",
    "read_har",
    "read_logs",
    "read_metrics_text",
    "read_payloads",
    "read_pings",
    "read_pprof",
    "read_probes",
    "read_resolv_conf",
    "read_timeouts",
    "read_traces",
    "summarize_log_sources",
    "write_table",
]
