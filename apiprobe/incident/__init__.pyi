# The public surface of `apiprobe.incident`, written once: one line per name, re-exported from the
# module that defines it. __init__.py reads this file to load each module lazily on first use
# (PEP 562), and type checkers read it as the package's stub. Pinned by
# tests/snapshots/public_api/apiprobe.incident.txt.

from apiprobe.incident._links import NOTEBOOK_TITLES as NOTEBOOK_TITLES
from apiprobe.incident._triage import triage as triage
