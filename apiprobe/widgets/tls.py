"""TLS explorer: a trust store (or all of them side by side) and a target → verdicts, chains, failures, expiry."""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w
import pandas as pd
import plotly.graph_objects as go

from apiprobe.analyze.tls import TlsReport
from apiprobe.notebook import show_table
from apiprobe.notebook.tls import TlsEvidence, show_chains, show_tls_failures
from apiprobe.plot import fig_expiry_timeline
from apiprobe.schema import conform
from apiprobe.widgets._explorer import ALL, Explorer

__all__ = ["COMPARE", "TlsExplorer"]

#: The store option that lays every trust store side by side.
COMPARE = "(compare stores)"
_BUILTIN_STORES = ("certifi", "system")
_CHECK_COLUMNS = ["check", "ok", "severity", "detail", "go_error", "recommendation"]


class TlsExplorer(Explorer):
    """Pick a trust store (or compare them all) and a target: verdicts, chains, failed checks, expiry.

    A chain can be trusted by one client and refused by another: each report
    holds a verdict per trust store (certifi, the system store, a CA file).
    For one store the explorer lists each target's verdict (every check, for
    one target), then makes the static cells' calls with ``store=``:
    :func:`apiprobe.notebook.show_chains` and :func:`apiprobe.notebook.show_tls_failures`
    of the chosen reports checked against that store (like the table, they
    leave out the others), and draws :func:`~apiprobe.plot.fig_expiry_timeline` of the chosen
    certificates. ``"(compare stores)"`` puts the stores side by side
    (verdict per target, or check per store for one target). The verdicts,
    Go's log lines and the defects are read from the reports once, when the explorer is built.

    Parameters
    ----------
    evidence : TlsEvidence
        What :func:`apiprobe.notebook.get_tls_reports` returned. It is not modified.
    **kwargs : Any
        Passed on to :class:`ipywidgets.VBox`.

    Attributes
    ----------
    evidence : TlsEvidence
        The reports explored.
    summary : pandas.DataFrame
        One row per report and trust store: ``report`` (position), ``target``,
        ``store``, ``verdict``, ``trusted``, ``go_error`` and ``defects``.
    store : ipywidgets.Dropdown
        A trust store of the reports (the CA file first picked, if any), or ``"(compare stores)"``.
    target : ipywidgets.Dropdown
        A report (by position in ``evidence.reports``, labelled by target) or ``"(all)"``.
    out : ipywidgets.Output
        Where the tables and figures are drawn.
    """

    def __init__(self, evidence: TlsEvidence, **kwargs: Any) -> None:
        self.evidence = evidence
        stores: list[str] = []
        rows = []
        for i, r in enumerate(evidence.reports):
            stores += [s for s in r.stores if s not in stores]
            verdicts = r.overall
            for s in r.stores:
                defects = ", ".join(r.defects(s))
                go_error = r.go_error(s)
                rows.append((i, r.target, s, verdicts[s].partition(": ")[2], r.trusted(s), go_error, defects))
        columns = ["report", "target", "store", "verdict", "trusted", "go_error", "defects"]
        self.summary = pd.DataFrame(rows, columns=columns)
        self._stores = stores
        self._parts = [TlsEvidence(reports=[r], source=f"{r.target} ({evidence.source})") for r in evidence.reports]
        own = [s for s in stores if s not in _BUILTIN_STORES]
        self.store = w.Dropdown(
            options=[*stores, COMPARE],
            value=own[-1] if own else (stores[0] if stores else COMPARE),
            description="Store",
        )
        self.target = w.Dropdown(
            options=[("(all targets)", ALL), *[(r.target, i) for i, r in enumerate(evidence.reports)]],
            value=ALL,
            description="Target",
        )
        self._start([w.HBox([self.store, self.target])], (self.store, self.target), **kwargs)

    def reports(self) -> list[TlsReport]:
        """The reports chosen in :attr:`target` (every one for ``"(all)"``).

        Returns
        -------
        list of TlsReport
            In the evidence's order.
        """
        if self.target.value == ALL:
            return list(self.evidence.reports)
        return [self.evidence.reports[self.target.value]]

    def chosen(self) -> TlsEvidence:
        """The evidence narrowed to :attr:`target`, for the ``show_*`` calls.

        Returns
        -------
        TlsEvidence
            The whole evidence for ``"(all)"``, else one report's.
        """
        return self.evidence if self.target.value == ALL else self._parts[self.target.value]

    def table(self) -> pd.DataFrame:
        """The verdicts for the chosen store and target.

        Returns
        -------
        pandas.DataFrame
            For one store: a row per target (``target``, ``verdict``, ``trusted``,
            ``go_error``, ``defects``; targets not checked against it are left
            out), or for one target every check of that store (``check``, ``ok``,
            ``severity``, ``detail``, ``go_error``, ``recommendation``). For
            ``"(compare stores)"``: ``target`` and a verdict column per store,
            or for one target ``check`` and a column per store (``"ok"``, or the
            severity of the failure; ``"—"`` when not checked).
        """
        one = self.target.value != ALL
        if self.store.value != COMPARE:
            if one:
                v = self.reports()[0].verdicts
                return v.loc[v["store"] == self.store.value, _CHECK_COLUMNS].reset_index(drop=True)
            rows = self.summary[self.summary["store"] == self.store.value]
            return rows[["target", "verdict", "trusted", "go_error", "defects"]].reset_index(drop=True)
        if one:
            v = self.reports()[0].verdicts
            marks = v.assign(mark=v["ok"].map({True: "ok"}).fillna(v["severity"].fillna("failed").str.upper()))
            wide = marks.pivot_table(index="check", columns="store", values="mark", aggfunc="first", sort=False)
            return wide.reindex(columns=self._stores).astype(object).fillna("—").rename_axis(columns=None).reset_index()
        wide = self.summary.pivot(index="report", columns="store", values="verdict")
        wide = wide.reindex(index=range(len(self.evidence.reports)), columns=self._stores)
        wide.insert(0, "target", [r.target for r in self.evidence.reports])
        return wide.fillna("—").rename_axis(index=None, columns=None).reset_index(drop=True)

    def figure(self) -> go.Figure:
        """Days left of the chosen targets' certificates.

        Returns
        -------
        plotly.graph_objects.Figure
            :func:`~apiprobe.plot.fig_expiry_timeline` of their ``certs``.
        """
        certs = [r.certs for r in self.reports()]
        return fig_expiry_timeline(conform(pd.concat(certs, ignore_index=True) if certs else None, "certs"))

    def draw(self) -> None:
        """Display the verdict table, the chains and failed checks for the store, and the expiry figure."""
        from IPython.display import HTML, display

        if not self.evidence.reports:
            display(HTML("<p><i>No TLS reports.</i></p>"))
            return
        table, store, part = self.table(), self.store.value, self.chosen()
        if store == COMPARE:
            caption = f"Verdicts per trust store ({', '.join(self._stores)})"
            bad = table.drop(columns=table.columns[0]).apply(lambda c: ~c.str.match(r"TRUSTED|ok|—"))
            show_table(table, caption=caption, max_rows=200, highlight=bad.any(axis=1))
            if self.target.value == ALL:
                display(HTML("<p><i>Pick a target to see its chain as each trust store judges it.</i></p>"))
            for name in self.reports()[0].stores if self.target.value != ALL else []:
                show_chains(part, store=name)
            show_tls_failures(part)
        else:
            ok = table["ok" if "ok" in table else "trusted"].fillna(True).astype(bool)
            show_table(table, caption=f"Verdicts with trust store {store}", max_rows=200, highlight=~ok)
            trusted = self.summary[(self.summary["store"] == store) & self.summary["report"].isin(self._chosen_ids())]
            display(HTML(f"<p>{int(trusted['trusted'].sum())} of {len(trusted)} trusted by {html.escape(store)}.</p>"))
            # a report never checked against the store is left out, as in the table (else its chain
            # would be badged with another store's verdicts)
            checked = TlsEvidence(reports=[r for r in part.reports if store in r.stores], source=part.source)
            unchecked = [r.target for r in part.reports if store not in r.stores]
            if unchecked:
                names = html.escape(", ".join(unchecked))
                display(HTML(f"<p><i>Not checked against {html.escape(store)}, left out: {names}.</i></p>"))
            show_chains(checked, store=store)
            show_tls_failures(checked, store=store)
        self.figure().show()

    def _chosen_ids(self) -> list[int]:
        return list(range(len(self.evidence.reports))) if self.target.value == ALL else [self.target.value]
