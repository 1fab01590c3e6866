# The public surface of `apiprobe.lab`, written once: one line per name, re-exported from the
# module that defines it. __init__.py reads this file to load each module lazily on first use
# (PEP 562), and type checkers read it as the package's stub. Pinned by
# tests/snapshots/public_api/apiprobe.lab.txt.

from apiprobe.lab._dns import DnsServer as DnsServer
from apiprobe.lab._dns import default_lab_zone as default_lab_zone
from apiprobe.lab._lab import Endpoint as Endpoint
from apiprobe.lab._lab import FaultLab as FaultLab
from apiprobe.lab._pool import PoolServer as PoolServer
from apiprobe.lab._resilience import ResilienceScenario as ResilienceScenario
from apiprobe.lab._resilience import run_resilience_scenario as run_resilience_scenario
