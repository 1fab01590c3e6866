"""Incident triage: read a folder of mixed evidence, run every detector, and tell one story.

:func:`triage` is the front door (``apiprobe triage PATH``). It reads with
:mod:`apiprobe.load` and reasons with :mod:`apiprobe.analyze` (the pure part,
:mod:`apiprobe.analyze.triage`); it never probes the network.
"""

from apiprobe.incident._links import NOTEBOOK_TITLES
from apiprobe.incident._triage import triage

__all__ = ["NOTEBOOK_TITLES", "triage"]
