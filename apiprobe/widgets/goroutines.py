"""Goroutine explorer: group a dump by wait site, state or function, pick a group → its figure, stacks and waits."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any, TypeVar

import ipywidgets as w
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from IPython.display import HTML, display

from apiprobe._redact import redact_text
from apiprobe.analyze.pool import group_goroutines
from apiprobe.notebook import show_table
from apiprobe.notebook.pool import PoolEvidence
from apiprobe.plot import fig_wait_sites
from apiprobe.widgets._explorer import Explorer

__all__ = ["GROUP_BY", "NONE", "GoroutineExplorer"]

#: The group-by options: (label, column of the goroutines table).
GROUP_BY = (
    ("Wait site", "wait_site"),
    ("Wait reason (state)", "state"),
    ("Top function", "top_function"),
    ("App function", "app_function"),
    ("Created by", "created_by"),
    ("Stack", "group_id"),
)
#: The name of the group of goroutines without a value in the grouped column.
NONE = "(none)"
_POOL_SITES = ("http_pool_wait", "sql_pool_wait", "pool_wait")
_TEXT_COLUMNS = ("count", "states", "wait_minutes", "stack", "frames", "created_by")
_STACK_COLUMNS = ("count", "wait_site", "states", "wait_minutes", "top_function", "app_function", "created_by")
_T = TypeVar("_T")


class GoroutineExplorer(Explorer):
    """Group a goroutine dump one way, pick a group: what it waits on, its stacks, its states and waits.

    The groups of each grouping are counted when the explorer is built
    (goroutines, not rows: a debug=1 row stands for ``count`` goroutines), so
    a change of control only selects rows. The figure is
    :func:`~apiprobe.plot.fig_wait_sites` of the chosen group (broken down by
    app function when grouping by wait site), the stacks
    :func:`~apiprobe.analyze.pool.group_goroutines` of its goroutines. The
    chosen group's rows, stacks and summary are computed once per choice of
    the controls (a redraw, the table and the stacks in full share them).

    Parameters
    ----------
    evidence : PoolEvidence or pandas.DataFrame
        What :func:`apiprobe.notebook.get_pool_evidence` returned (its first
        dump is explored), or a goroutines table
        (:func:`apiprobe.load.goroutines.read_goroutines`). It is not modified.
    max_stacks : int, default 5
        Stacks of the chosen group printed in full (largest first); the table lists them all.
    **kwargs : Any
        Passed on to :class:`ipywidgets.VBox`.

    Attributes
    ----------
    goroutines : pandas.DataFrame
        The table explored.
    by : ipywidgets.Dropdown
        The column the goroutines are grouped by: wait site, wait reason (state),
        top function, app function, created by, or stack (panicparse's groups).
    group : ipywidgets.Dropdown
        The group shown, labelled with its goroutine count, largest first; values
        are ``(column, code)``. Repopulated when :attr:`by` changes.
    out : ipywidgets.Output
        Where the summary, the figure, the table and the stacks are drawn.
    """

    def __init__(self, evidence: PoolEvidence | pd.DataFrame, *, max_stacks: int = 5, **kwargs: Any) -> None:
        g = evidence.goroutines if isinstance(evidence, PoolEvidence) else evidence
        self.goroutines = g
        self.max_stacks = max_stacks
        n = g["count"].fillna(1).to_numpy(dtype=np.int64) if "count" in g else np.ones(len(g), dtype=np.int64)
        self._codes: dict[str, np.ndarray] = {}
        self._memo_key: tuple[Any, Any] | None = None  # (by, group) that self._memos were computed for
        self._memos: dict[str, Any] = {}
        self._options: dict[str, list[tuple[str, tuple[str, int]]]] = {}
        for _label, column in GROUP_BY:
            values = g[column].astype("string") if column in g else pd.Series(pd.NA, index=g.index, dtype="string")
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
            self._codes[column] = codes
            names = [str(u) for u in uniques]
            if column == "group_id" and "top_function" in g:  # a stack is known by its top function
                code_of, first = np.unique(codes, return_index=True)
                first = first[code_of >= 0]  # the first row of each code, by code
                names = [f"{g['top_function'].iloc[int(i)]} ({name})" for i, name in zip(first, names, strict=True)]
            counts = np.bincount(codes[codes >= 0], weights=n[codes >= 0], minlength=len(names)).astype(np.int64)
            entries = [(int(c), name, i) for i, (c, name) in enumerate(zip(counts, names, strict=True))]
            if (codes < 0).any():
                entries.append((int(n[codes < 0].sum()), NONE, -1))
            entries.sort(key=lambda e: (-e[0], e[1]))
            self._options[column] = [(f"{c:,} · {name}", (column, code)) for c, name, code in entries]
        self.by = w.Dropdown(options=GROUP_BY, value="wait_site", description="Group by")
        self.group = w.Dropdown(
            options=self._options["wait_site"], description="Group", layout=w.Layout(width="min(60%, 720px)")
        )
        self.by.observe(lambda _change: self._regroup(), names="value")
        self._start([w.HBox([self.by, self.group])], (self.group,), **kwargs)

    def _regroup(self) -> None:
        """Offer the groups of the new grouping; redraw (a new group value redraws by itself)."""
        before = self.group.value
        self.group.options = self._options[self.by.value]
        if self.group.value == before and self.drawn:  # no groups either way: redraw all the same
            self.refresh()

    def _memo(self, name: str, make: Callable[[], _T]) -> _T:
        """``make()`` computed once per choice of :attr:`by` and :attr:`group` (forgotten when either changes)."""
        key = (self.by.value, self.group.value)
        if key != self._memo_key:
            self._memo_key, self._memos = key, {}
        if name not in self._memos:
            self._memos[name] = make()
        value: _T = self._memos[name]
        return value

    def _rows(self) -> pd.DataFrame:
        """The chosen group's rows (shared: not to be modified)."""
        return self._memo("rows", lambda: self.goroutines[self.mask()])

    def _stacks(self) -> pd.DataFrame:
        """:func:`~apiprobe.analyze.pool.group_goroutines` of the chosen group, with ``frames`` (shared)."""
        return self._memo("stacks", lambda: _stack_table(self._rows()))

    def mask(self) -> np.ndarray:
        """Which rows of :attr:`goroutines` are in the chosen group.

        Returns
        -------
        numpy.ndarray of bool
            Aligned with :attr:`goroutines`; all False when there is no group to choose.
        """
        if self.group.value is None:
            return np.zeros(len(self.goroutines), dtype=bool)
        column, code = self.group.value
        return np.asarray(self._codes[column] == code)

    def selection(self) -> pd.DataFrame:
        """The goroutines of the chosen group.

        Returns
        -------
        pandas.DataFrame
            Rows of :attr:`goroutines`, same columns, in dump order.
        """
        return self._rows().copy(deep=False)  # copy-on-write: changing it leaves the shared rows alone

    def breakdown(self) -> str:
        """The column the figure splits the chosen group by.

        Returns
        -------
        str
            ``"app_function"`` when grouping by wait site, else ``"wait_site"``.
        """
        return "app_function" if self.by.value == "wait_site" else "wait_site"

    def figure(self) -> go.Figure:
        """Goroutines of the chosen group per wait site (per app function when grouping by wait site).

        Returns
        -------
        plotly.graph_objects.Figure
            :func:`~apiprobe.plot.fig_wait_sites` of :meth:`selection`.
        """
        sel, site = self._rows(), self.breakdown()
        if site not in sel:
            sel = sel.assign(**{site: pd.Series(pd.NA, index=sel.index, dtype="string")})
        fig = fig_wait_sites(sel.assign(**{site: sel[site].fillna(NONE)}), site=site)
        fig.update_yaxes(title_text=site.replace("_", " "))
        return fig

    def table(self) -> pd.DataFrame:
        """The stacks of the chosen group, largest first, with their states and wait minutes.

        Returns
        -------
        pandas.DataFrame
            :func:`~apiprobe.analyze.pool.group_goroutines` of :meth:`selection`, plus
            ``frames``: the ``file:line`` of each frame of the stack shown (its first goroutine).
            Computed once per choice of the controls.
        """
        return self._stacks().copy(deep=False)

    def summary(self) -> dict[str, Any]:
        """The chosen group at a glance.

        Returns
        -------
        dict
            ``goroutines`` (int), ``stacks`` (int, distinct), ``states`` (``"select×38"``)
            and ``wait_minutes`` (``"1~4"``; ``""`` when the dump printed none), as
            :func:`~apiprobe.analyze.pool.group_goroutines` writes them for the whole group.
            Computed once per choice of the controls.
        """
        return dict(self._memo("summary", lambda: _glance(self._rows())))

    def stack_texts(self) -> list[str]:
        """The first :attr:`max_stacks` stacks of :meth:`table`, as a dump prints them (without arguments).

        Returns
        -------
        list of str
            Per stack: a header (goroutines, states, wait minutes), then each function
            with its ``file:line`` indented below it, leaf first, then ``created by``.
        """
        t = self._stacks().head(self.max_stacks)
        texts = []
        for count, states, wait_minutes, stack, frames, created_by in zip(
            *(t[c].astype(object).where(t[c].notna(), None).tolist() for c in _TEXT_COLUMNS), strict=True
        ):
            wait = f", waiting {wait_minutes} min" if wait_minutes else ""
            lines = [f"{count} goroutines [{states}{wait}]:"]
            where = str(frames).split("\n") if frames is not None else []
            for i, func in enumerate(str(stack).split("\n")):
                lines.append(func)
                if i < len(where) and where[i]:
                    lines.append(f"\t{where[i]}")
            if created_by is not None:
                lines.append(f"created by {created_by}")
            texts.append("\n".join(lines))
        return texts

    def draw(self) -> None:
        """Display the summary, the figure, the stacks table and the first stacks in full."""
        s = self.summary()
        if not s["goroutines"]:
            display(HTML("<p><i>No goroutines to show.</i></p>"))
            return
        label = html.escape(self.group.label or "")
        wait = f"; waiting {html.escape(s['wait_minutes'])} minutes" if s["wait_minutes"] else ""
        display(
            HTML(
                f"<p><b>{label}</b>: {s['goroutines']:,} goroutines, {s['stacks']:,} distinct stacks; "
                f"states {html.escape(s['states'])}{wait}.</p>"
            )
        )
        self.figure().show()
        table = self._stacks()
        show_table(
            table[[c for c in _STACK_COLUMNS if c in table]],
            caption="Stacks in this group (largest first)",
            max_rows=30,
            highlight=table["wait_site"].isin(_POOL_SITES),
        )
        stacks = "".join(
            f'<pre style="font-size:12px;white-space:pre-wrap">{html.escape(redact_text(t))}</pre>'
            for t in self.stack_texts()
        )
        display(HTML(f"<p><b>The largest stacks in full</b></p>{stacks}"))


def _stack_table(sel: pd.DataFrame) -> pd.DataFrame:
    """:func:`~apiprobe.analyze.pool.group_goroutines` of ``sel``, plus each stack's ``frames``."""
    table = group_goroutines(sel)
    if "frames" in sel and "group_id" in sel:
        frames = sel.drop_duplicates("group_id").set_index("group_id")["frames"]
        return table.assign(frames=table["group_id"].map(frames).astype("string"))
    return table.assign(frames=pd.Series(pd.NA, index=table.index, dtype="string"))


def _glance(sel: pd.DataFrame) -> dict[str, Any]:
    """Goroutines, distinct stacks, states and wait minutes of ``sel`` as one group (see ``summary``)."""
    if sel.empty:
        return {"goroutines": 0, "stacks": 0, "states": "", "wait_minutes": ""}
    whole = group_goroutines(sel.assign(group_id="chosen")).iloc[0]  # one group: cheap beside the stacks
    stacks = sel["group_id"].nunique() if "group_id" in sel else len(sel)
    return {
        "goroutines": int(whole["count"]),
        "stacks": int(stacks),
        "states": str(whole["states"]),
        "wait_minutes": str(whole["wait_minutes"]),
    }
