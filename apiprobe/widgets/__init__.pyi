# The public surface of `apiprobe.widgets` (`import apiprobe.widgets as aw`), written once: one line
# per explorer, re-exported from the module that defines it. __init__.py reads this file to load each
# module lazily on first use (PEP 562), and type checkers read it as the package's stub. Pinned by
# tests/snapshots/public_api/apiprobe.widgets.txt.

from apiprobe.widgets.goroutines import GoroutineExplorer as GoroutineExplorer
from apiprobe.widgets.latency import LatencyExplorer as LatencyExplorer
from apiprobe.widgets.logs import LogsExplorer as LogsExplorer
from apiprobe.widgets.profiles import ProfileExplorer as ProfileExplorer
from apiprobe.widgets.status import StatusExplorer as StatusExplorer
from apiprobe.widgets.tls import TlsExplorer as TlsExplorer
from apiprobe.widgets.traces import TraceExplorer as TraceExplorer
