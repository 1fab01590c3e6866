# The public surface of `apiprobe.scale`, written once: one line per name, re-exported from the
# module that defines it. __init__.py reads this file to load each module lazily on first use
# (PEP 562), and type checkers read it as the package's stub. Pinned by
# tests/snapshots/public_api/apiprobe.scale.txt.

from apiprobe.scale.convert import convert_logs as convert_logs
