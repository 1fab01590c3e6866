"""Load: files into evidence tables.

``read_*`` opens a path; unreadable files raise
:class:`~apiprobe.errors.DataFormatError` naming the file and what is wrong.
"""

from apiprobe.load.goroutines import WAIT_SITES, parse_goroutines, read_goroutines
from apiprobe.load.pprof import Profile, parse_pprof, read_pprof
from apiprobe.load.tables import read_dns, read_pings, read_probes, write_table

__all__ = [
    "WAIT_SITES",
    "Profile",
    "parse_goroutines",
    "parse_pprof",
    "read_dns",
    "read_goroutines",
    "read_pings",
    "read_pprof",
    "read_probes",
    "write_table",
]
