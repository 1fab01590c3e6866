"""Interactive latency explorer: the same pure functions as the report, behind widgets."""

from __future__ import annotations

from typing import Any

import ipywidgets as w
import pandas as pd
import plotly.graph_objects as go
from IPython.display import display

from apiprobe.analyze.latency import select_probes, summarize_latency
from apiprobe.plot import fig_ecdf, fig_error_timeline, fig_phase_breakdown, fig_smoke, fig_waterfall
from apiprobe.schema import PHASE_LABELS, PHASES
from apiprobe.widgets._explorer import Explorer, minute_window, window_bounds

__all__ = ["LatencyExplorer"]

_ALL = "(all targets)"
_VIEWS = ("Latency over time", "Distribution (ECDF)", "Slowest requests", "Failures over time", "Phase breakdown")


class LatencyExplorer(Explorer):
    """Pick a target, a phase, a time window and a view; figure and numbers follow.

    The figures are the ``fig_*`` builders of :mod:`apiprobe.plot` and the
    numbers :func:`apiprobe.analyze.latency.summarize_latency`, so an
    interactive session shows what the report shows.

    Parameters
    ----------
    probes : pandas.DataFrame
        A probes table (schema ``probes``). It is not modified.
    **kwargs : Any
        Passed on to :class:`ipywidgets.VBox` (``layout=``, ...).

    Attributes
    ----------
    probes : pandas.DataFrame
        The table explored.
    target : ipywidgets.Dropdown
        The target shown, or ``"(all targets)"``.
    phase : ipywidgets.Dropdown
        The phase (value column) shown.
    view : ipywidgets.ToggleButtons
        The figure shown: latency over time, ECDF, slowest requests, failures over time, phase breakdown.
    window : ipywidgets.SelectionRangeSlider
        The time window, by the minute (UTC).
    out : ipywidgets.Output
        Where the figure and the summary table are drawn.
    """

    def __init__(self, probes: pd.DataFrame, **kwargs: Any) -> None:
        self.probes = probes
        targets = sorted(probes["target"].dropna().unique().tolist()) if not probes.empty else []
        self.target = w.Dropdown(options=[_ALL, *targets], value=_ALL, description="Target")
        phases = [p for p in (*PHASES, "total_ms") if p in probes.columns]
        self.phase = w.Dropdown(options=[(PHASE_LABELS[p], p) for p in phases], value="total_ms", description="Phase")
        self.view = w.ToggleButtons(options=_VIEWS, value=_VIEWS[0])
        self.window = minute_window(probes["ts"])
        controls = (self.target, self.phase, self.view, self.window)
        self._start([w.HBox([self.target, self.phase]), self.window, self.view], controls, **kwargs)

    def selection(self) -> pd.DataFrame:
        """The probes inside the current target and time window.

        Returns
        -------
        pandas.DataFrame
            Rows of :attr:`probes` (same columns) for the selected target and window.
        """
        start, end = window_bounds(self.window)
        target = None if self.target.value == _ALL else self.target.value
        return select_probes(self.probes, target=target, start=start, end=end)

    def figure(self) -> go.Figure:
        """The plotly figure for the current view and selection.

        Returns
        -------
        plotly.graph_objects.Figure
            The figure of the selected view over :meth:`selection`.
        """
        df = self.selection()
        phase = self.phase.value
        if self.view.value == "Latency over time":
            return fig_smoke(df, value=phase)
        if self.view.value == "Distribution (ECDF)":
            return fig_ecdf(df, value=phase)
        if self.view.value == "Slowest requests":
            return fig_waterfall(df, n=30, sort="slowest")
        if self.view.value == "Failures over time":
            return fig_error_timeline(df)
        return fig_phase_breakdown(df, stat="p99")

    def draw(self) -> None:
        """Display the figure and the summary for the current controls."""
        self.figure().show()
        summary = summarize_latency(self.selection(), phases=(self.phase.value,))
        display(summary.round(2))
