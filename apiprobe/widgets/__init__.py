"""Show (interactive): ipywidgets explorers over the same pure functions as the reports.

Widgets need a live kernel; HTML reports leave out cells tagged
``interactive-only`` and draw static figures instead.
"""

from apiprobe.widgets.latency import LatencyExplorer

__all__ = ["LatencyExplorer"]
