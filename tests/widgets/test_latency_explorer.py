"""The explorer drives the same pure functions as the report (no front end needed)."""

from __future__ import annotations

import pandas as pd

from apiprobe.demo import demo_probes
from apiprobe.widgets import LatencyExplorer


def test_controls_change_the_selection_and_figure() -> None:
    probes = demo_probes(minutes=30)
    before = probes.copy()
    ex = LatencyExplorer(probes)
    assert len(ex.selection()) == len(probes)
    target = "https://payments.demo.internal/v1/charge"
    ex.target.value = target
    sel = ex.selection()
    assert set(sel["target"]) == {target} and len(sel) == (probes["target"] == target).sum()
    ex.window.index = (0, 4)
    assert ex.selection()["ts"].max() < probes["ts"].min().floor("min") + pd.Timedelta(minutes=5)
    for view in ex.view.options:
        ex.view.value = view
        fig = ex.figure()
        assert fig.layout.title.text  # every view draws a titled figure
    ex.phase.value = "ttfb_ms"
    ex.view.value = "Distribution (ECDF)"
    assert "Server" in ex.figure().layout.title.text or "TTFB" in str(ex.figure().layout)
    pd.testing.assert_frame_equal(probes, before)
