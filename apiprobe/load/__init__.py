"""Load: files into evidence tables.

``read_*`` opens a path; unreadable files raise
:class:`~apiprobe.errors.DataFormatError` naming the file and what is wrong.
"""

from apiprobe.load.goroutines import WAIT_SITES, parse_goroutines, read_goroutines
from apiprobe.load.har import HAR_EXTRA_COLUMNS, parse_har, read_har
from apiprobe.load.logs import DIALECTS, load_stats, parse_logs, read_logs
from apiprobe.load.pprof import Profile, parse_pprof, read_pprof
from apiprobe.load.tables import read_dns, read_pings, read_probes, write_table
from apiprobe.load.traces import SPAN_KINDS, TRACE_FORMATS, parse_traces, read_traces

__all__ = [
    "DIALECTS",
    "HAR_EXTRA_COLUMNS",
    "SPAN_KINDS",
    "TRACE_FORMATS",
    "WAIT_SITES",
    "Profile",
    "load_stats",
    "parse_goroutines",
    "parse_har",
    "parse_logs",
    "parse_pprof",
    "parse_traces",
    "read_dns",
    "read_goroutines",
    "read_har",
    "read_logs",
    "read_pings",
    "read_pprof",
    "read_probes",
    "read_traces",
    "write_table",
]
