"""Load: files into evidence tables.

``read_*`` opens a path; unreadable files raise
:class:`~apiprobe.errors.DataFormatError` naming the file and what is wrong.
"""

from apiprobe.load.tables import read_dns, read_pings, read_probes, write_table

__all__ = ["read_dns", "read_pings", "read_probes", "write_table"]
