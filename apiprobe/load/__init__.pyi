# The public surface of `apiprobe.load`, written once: one line per name, re-exported from the
# module that defines it. __init__.py reads this file to load each module lazily on first use
# (PEP 562), and type checkers read it as the package's stub. Pinned by
# tests/snapshots/public_api/apiprobe.load.txt.

from apiprobe.load.certs import parse_certificates as parse_certificates
from apiprobe.load.certs import read_certificates as read_certificates
from apiprobe.load.event_store import STORE_SCHEMA as STORE_SCHEMA
from apiprobe.load.event_store import open_events as open_events
from apiprobe.load.event_store import read_events as read_events
from apiprobe.load.evidence import Evidence as Evidence
from apiprobe.load.evidence import read_evidence as read_evidence
from apiprobe.load.goroutines import WAIT_SITES as WAIT_SITES
from apiprobe.load.goroutines import parse_goroutines as parse_goroutines
from apiprobe.load.goroutines import read_goroutines as read_goroutines
from apiprobe.load.gotrace import GoTrace as GoTrace
from apiprobe.load.gotrace import parse_go_trace as parse_go_trace
from apiprobe.load.gotrace import read_go_trace as read_go_trace
from apiprobe.load.har import HAR_EXTRA_COLUMNS as HAR_EXTRA_COLUMNS
from apiprobe.load.har import parse_har as parse_har
from apiprobe.load.har import read_har as read_har
from apiprobe.load.logs import DIALECTS as DIALECTS
from apiprobe.load.logs import parse_logs as parse_logs
from apiprobe.load.logs import read_logs as read_logs
from apiprobe.load.logs import summarize_log_sources as summarize_log_sources
from apiprobe.load.metrics import METRIC_TYPES as METRIC_TYPES
from apiprobe.load.metrics import parse_metrics_text as parse_metrics_text
from apiprobe.load.metrics import read_metrics_text as read_metrics_text
from apiprobe.load.payloads import read_payloads as read_payloads
from apiprobe.load.pprof import Profile as Profile
from apiprobe.load.pprof import parse_pprof as parse_pprof
from apiprobe.load.pprof import read_pprof as read_pprof
from apiprobe.load.resolv_conf import ResolvConf as ResolvConf
from apiprobe.load.resolv_conf import parse_resolv_conf as parse_resolv_conf
from apiprobe.load.resolv_conf import read_resolv_conf as read_resolv_conf
from apiprobe.load.tables import read_dns as read_dns
from apiprobe.load.tables import read_pings as read_pings
from apiprobe.load.tables import read_probes as read_probes
from apiprobe.load.tables import write_table as write_table
from apiprobe.load.timeouts import parse_timeouts as parse_timeouts
from apiprobe.load.timeouts import read_timeouts as read_timeouts
from apiprobe.load.traces import SPAN_KINDS as SPAN_KINDS
from apiprobe.load.traces import TRACE_FORMATS as TRACE_FORMATS
from apiprobe.load.traces import parse_traces as parse_traces
from apiprobe.load.traces import read_traces as read_traces
