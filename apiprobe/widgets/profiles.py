"""Profile explorer: sample type, granularity, focus, ignore and tag focus → the top table and the flame graph."""

from __future__ import annotations

import html
import shlex
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import ipywidgets as w
import pandas as pd
import plotly.graph_objects as go
from IPython.display import HTML, display

from apiprobe.analyze.profiles import filter_profile, flame_table, profile_top
from apiprobe.load.pprof import Profile
from apiprobe.notebook import show_table
from apiprobe.notebook.profiles import ProfileEvidence
from apiprobe.plot import MAX_FLAME_NODES, fig_flame, fig_top
from apiprobe.widgets._explorer import Explorer

__all__ = ["GRANULARITIES", "ProfileExplorer"]

#: The node granularities :func:`~apiprobe.analyze.profiles.profile_top` accepts (``go tool pprof`` flags).
GRANULARITIES = ("functions", "files", "lines", "addresses")
_MEMO_SIZE = 32  # results kept per explorer: going back to a recent setting redraws without recomputing
_T = TypeVar("_T")


class ProfileExplorer(Explorer):
    """Pick a sample type, a granularity and ``-focus``/``-ignore``/``-tagfocus`` regexes; the top and flame follow.

    The table is :func:`~apiprobe.analyze.profiles.profile_top` (``go tool
    pprof -top`` with the same options, percentages of the unfiltered total),
    drawn by :func:`~apiprobe.plot.fig_top`; the flame graph is
    :func:`~apiprobe.plot.fig_flame` of the samples the same regexes keep
    (:func:`~apiprobe.analyze.profiles.filter_profile`, the selection
    ``profile_top`` makes), always by function, widths relative to the kept
    samples. Results are kept per setting, so going back to a recent one
    redraws at once; the profile is parsed once, before. The kept samples
    share the profile's stacks and the call graph already derived from them
    (by the top table at function granularity), which the flame graph reuses.

    Parameters
    ----------
    evidence : ProfileEvidence or Profile
        What :func:`apiprobe.notebook.get_profiles` returned (its
        ``profile`` is explored), or a parsed profile. It is not modified
        (``profile_top`` caches derived arrays on it, as always).
    n : int, default 20
        Rows of the top table shown at first.
    **kwargs : Any
        Passed on to :class:`ipywidgets.VBox`.

    Attributes
    ----------
    profile : Profile
        The profile explored.
    sample_index : ipywidgets.Dropdown
        The sample type (``-sample_index``), by index; at first the profile's default.
    granularity : ipywidgets.Dropdown
        ``functions``, ``files``, ``lines`` or ``addresses``: the nodes of the top table.
    rows : ipywidgets.BoundedIntText
        Rows of the top table drawn and listed.
    focus : ipywidgets.Text
        Regex (``-focus``): keep samples with a frame whose function, file or mapping matches; empty for all.
    ignore : ipywidgets.Text
        Regex (``-ignore``): drop samples with such a frame; empty for none.
    tagfocus : ipywidgets.Text
        ``key=regex`` (``-tagfocus``): keep samples whose pprof label ``key`` has a matching value;
        ``key=re1,re2`` keeps those where any of the regexes matches, as pprof does. Numeric ranges
        (``bytes=1mb:``) are not supported: the explorer says so instead of drawing. Empty for all.
    out : ipywidgets.Output
        Where the figures and the table are drawn.
    """

    def __init__(self, evidence: ProfileEvidence | Profile, *, n: int = 20, **kwargs: Any) -> None:
        self.profile = evidence.profile if isinstance(evidence, ProfileEvidence) else evidence
        types = self.profile.sample_types
        self._memo: dict[Hashable, Any] = {}
        self.sample_index = w.Dropdown(
            options=[(f"{t} ({u})" if u else t, i) for i, (t, u) in enumerate(types)],
            value=self.profile.sample_index(),
            description="Sample type",
        )
        self.granularity = w.Dropdown(options=GRANULARITIES, value="functions", description="Granularity")
        self.rows = w.BoundedIntText(value=n, min=1, max=1000, description="Rows")
        self.focus = _regex_box("Focus", "regex, e.g. encoding/json")
        self.ignore = _regex_box("Ignore", "regex, e.g. runtime\\.")
        self.tagfocus = _regex_box("Tag focus", "key=regex,…, e.g. handler=/v1/charge,/v1/refunds")
        controls = (self.sample_index, self.granularity, self.rows, self.focus, self.ignore, self.tagfocus)
        rows = [
            w.HBox([self.sample_index, self.granularity, self.rows]),
            w.HBox([self.focus, self.ignore, self.tagfocus]),
        ]
        self._start(rows, controls, **kwargs)

    def filters(self) -> dict[str, str | None]:
        """The regexes of the controls, as keyword arguments (None where a box is empty).

        Returns
        -------
        dict
            ``focus``, ``ignore`` and ``tagfocus``, for :func:`~apiprobe.analyze.profiles.profile_top`
            and :func:`~apiprobe.analyze.profiles.filter_profile`.
        """
        return {
            "focus": self.focus.value.strip() or None,
            "ignore": self.ignore.value.strip() or None,
            "tagfocus": self.tagfocus.value.strip() or None,
        }

    def selection(self) -> Profile:
        """The samples the focus, ignore and tag focus keep.

        Returns
        -------
        Profile
            :func:`~apiprobe.analyze.profiles.filter_profile` of :attr:`profile`.
        """
        f = self.filters()
        return self._remember(("selection", *f.values()), lambda: filter_profile(self.profile, **f))

    def table(self) -> pd.DataFrame:
        """The top table for the current controls (every row; :attr:`rows` limits what is shown).

        Returns
        -------
        pandas.DataFrame
            :func:`~apiprobe.analyze.profiles.profile_top` of :attr:`profile` with the
            selected sample type, granularity, focus, ignore and tag focus.
        """
        si, gran, f = self.sample_index.value, self.granularity.value, self.filters()
        top = self._remember(
            ("top", si, gran, *f.values()),
            lambda: profile_top(
                self.profile,
                sample_index=si,
                granularity=gran,
                focus=f["focus"],
                ignore=f["ignore"],
                tagfocus=f["tagfocus"],
            ),
        )
        return top.copy()

    def figure(self) -> go.Figure:
        """Flat and cum of the first :attr:`rows` rows of :meth:`table`.

        Returns
        -------
        plotly.graph_objects.Figure
            :func:`~apiprobe.plot.fig_top` of the table.
        """
        return fig_top(self.table(), n=self.rows.value, title=f"Top {self.granularity.value}")

    def flame(self) -> go.Figure:
        """The flame graph of the selected sample type over :meth:`selection`.

        Returns
        -------
        plotly.graph_objects.Figure
            :func:`~apiprobe.plot.fig_flame` of the kept samples' call tree
            (:func:`~apiprobe.analyze.profiles.flame_table`, the heaviest
            :data:`~apiprobe.plot.MAX_FLAME_NODES` call paths).
        """
        si, f = self.sample_index.value, self.filters()
        tree = self._remember(
            ("flame", si, *f.values()),
            lambda: flame_table(self.selection(), sample_index=si, max_nodes=MAX_FLAME_NODES),
        )
        title = "Flame graph" + (" of the kept samples" if any(f.values()) else "")
        return fig_flame(tree, title=title)

    def command(self) -> str:
        """The ``go tool pprof`` command that prints :meth:`table` (for a file named ``PROFILE``).

        Returns
        -------
        str
            E.g. ``go tool pprof -top -sample_index=cpu -lines -focus=json PROFILE``, shell-quoted.
        """
        args = ["go", "tool", "pprof", "-top", f"-sample_index={self.profile.sample_types[self.sample_index.value][0]}"]
        if self.granularity.value != "functions":
            args.append(f"-{self.granularity.value}")
        args += [f"-{k}={v}" for k, v in self.filters().items() if v]
        return shlex.join([*args, "PROFILE"])

    def draw(self) -> None:
        """Display the top bars, the top table and the flame graph for the current controls."""
        top = self.table()
        kept = self.selection()
        si = self.sample_index.value
        total, kept_total = abs(self.profile.total(si)), abs(kept.total(si))
        share = f" ({kept_total / total:.1%} of the total)" if total else ""
        display(
            HTML(
                f"<p>{kept.n_samples:,} of {self.profile.n_samples:,} samples kept{share}; "
                f"<code>{html.escape(self.command())}</code></p>"
            )
        )
        self.figure().show()
        n = self.rows.value
        show_table(top.head(n), caption=f"Top {n} {self.granularity.value}", max_rows=n, float_format="{:.2f}")
        self.flame().show()

    def _remember(self, key: Hashable, build: Callable[[], _T]) -> _T:
        """``build()``, kept under ``key`` (the oldest of :data:`_MEMO_SIZE` results is dropped)."""
        if key not in self._memo:
            if len(self._memo) >= _MEMO_SIZE:
                del self._memo[next(iter(self._memo))]
            self._memo[key] = build()
        value: _T = self._memo[key]
        return value


def _regex_box(description: str, placeholder: str) -> w.Text:
    """A text box that redraws when the engineer presses Enter or leaves it, not at every key."""
    return w.Text(value="", placeholder=placeholder, description=description, continuous_update=False)
