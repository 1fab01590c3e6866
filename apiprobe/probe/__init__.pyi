# The public surface of `apiprobe.probe`, written once: one line per name, re-exported from the
# module that defines it. __init__.py reads this file to load each module lazily on first use
# (PEP 562), and type checkers read it as the package's stub. Pinned by
# tests/snapshots/public_api/apiprobe.probe.txt.

from apiprobe.probe.concurrency import probe_concurrency as probe_concurrency
from apiprobe.probe.dns import aprobe_dns as aprobe_dns
from apiprobe.probe.dns import probe_dns as probe_dns
from apiprobe.probe.http import aprobe_http as aprobe_http
from apiprobe.probe.http import probe_http as probe_http
from apiprobe.probe.prometheus import read_prometheus as read_prometheus
from apiprobe.probe.runner import run_jobs as run_jobs
from apiprobe.probe.runner import run_sync as run_sync
from apiprobe.probe.tcp import aprobe_tcp as aprobe_tcp
from apiprobe.probe.tcp import probe_tcp as probe_tcp
from apiprobe.probe.tls import probe_tls as probe_tls
