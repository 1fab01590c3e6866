"""The TLS report of one endpoint or one chain, and its tables gathered from many reports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeAlias

import pandas as pd

from apiprobe.analyze.tls._verdicts import CHECK_LABELS, SEVERITY_RANK
from apiprobe.errors import InvalidParameterError, InvalidTargetError
from apiprobe.schema import conform

__all__ = ["ReportsOrVerdicts", "TlsReport", "report_tables"]


@dataclass(frozen=True)
class TlsReport:
    """What one TLS endpoint (or one PEM chain) presents, and every check per trust store.

    Made by :func:`~apiprobe.probe.probe_tls` (a live handshake) and
    :func:`~apiprobe.analyze.diagnose_chain` (a chain from a file or text).

    Attributes
    ----------
    target : str
        ``host:port`` probed, or the file / ``<PEM text>`` the chain came from.
    hostname : str or None
        Name the chain was checked for (SNI and hostname check).
    certs : DataFrame
        Schema ``certs``: one row per certificate as presented, in the order sent.
    verdicts : DataFrame
        Schema ``tls_verdicts``: one row per check × trust store.
    at : datetime
        Evaluation time of the validity checks (UTC).
    tls_version, cipher, alpn : str or None
        Negotiated protocol version, cipher suite and ALPN protocol (probe only).
    connect_ms, handshake_ms : float or None
        TCP connect and TLS handshake times, ms (probe only; None if not reached).
    error : str or None
        Why the connection or handshake failed; None when a chain was obtained.
    error_kind : str or None
        Failure class from :data:`apiprobe.schema.ERROR_KINDS`.
    ip : str or None
        Address connected to.
    dns_ms : float or None
        Name resolution time, ms (probe only; None for an IP or if not reached).
    chain_source : str
        How the chain was obtained (``_sslobj.get_unverified_chain`` on Python 3.11/3.12,
        ``get_unverified_chain`` on 3.13+, a file, or ``getpeercert (leaf only)`` as a last resort).
    go_errors : dict of str to (str or None)
        Per store, what a Go client logs when it connects (None: it connects fine).
    """

    target: str
    hostname: str | None
    certs: pd.DataFrame = field(repr=False)
    verdicts: pd.DataFrame = field(repr=False)
    at: dt.datetime
    tls_version: str | None = None
    cipher: str | None = None
    alpn: str | None = None
    connect_ms: float | None = None
    handshake_ms: float | None = None
    error: str | None = None
    error_kind: str | None = None
    ip: str | None = None
    dns_ms: float | None = None
    chain_source: str = ""
    go_errors: dict[str, str | None] = field(default_factory=dict, repr=False)

    @property
    def stores(self) -> list[str]:
        """Trust stores checked, in order."""
        return list(self.go_errors)

    def _store(self, store: str | None) -> str:
        names = self.stores
        if store is None:
            if not names:
                raise InvalidTargetError("this report has no trust store")
            return names[-1] if len(names) > 1 and names[-1] not in ("certifi", "system") else names[0]
        if store not in names:
            raise InvalidTargetError(f"no trust store {store!r} in this report; known: {', '.join(names)}")
        return store

    def go_error(self, store: str | None = None) -> str | None:
        """What a Go client trusting ``store`` logs for this endpoint, or None when it connects.

        Parameters
        ----------
        store : str, optional
            A trust store name (``"certifi"``, ``"system"``, or the CA file's name).
            Defaults to the CA file when one was given, else the first store.

        Returns
        -------
        str or None
            The error text, as Go's ``crypto/tls`` words it.

        Raises
        ------
        InvalidTargetError
            ``store`` is not one of :attr:`stores`.
        """
        return self.go_errors[self._store(store)]

    def defects(self, store: str | None = None) -> list[str]:
        """Names of the failing checks for ``store``, most severe first.

        ``path_validation`` and ``trust_store`` are not defects of the server and are left out.

        Parameters
        ----------
        store : str, optional
            A trust store name; default as in :meth:`go_error`.

        Returns
        -------
        list of str
            :data:`~apiprobe.analyze.TLS_CHECKS` names.
        """
        name = self._store(store)
        v = self.verdicts
        bad = v[(v["store"] == name) & ~v["ok"].astype(bool) & ~v["check"].isin(["path_validation", "trust_store"])]
        ranked = sorted(zip(bad["severity"], bad["check"], strict=True), key=lambda p: SEVERITY_RANK.get(str(p[0]), 3))
        return [str(check) for _, check in ranked]

    def trusted(self, store: str | None = None) -> bool:
        """Whether the path validator accepts the chain with ``store``.

        Parameters
        ----------
        store : str, optional
            A trust store name; default as in :meth:`go_error`.

        Returns
        -------
        bool
            False also when no chain was obtained.
        """
        name = self._store(store)
        v = self.verdicts
        row = v[(v["store"] == name) & (v["check"] == "path_validation")]
        return bool(len(row)) and bool(row["ok"].iloc[0])

    @property
    def overall(self) -> dict[str, str]:
        """One line per trust store, e.g. ``"certifi: UNTRUSTED — missing intermediate"``."""
        out: dict[str, str] = {}
        v = self.verdicts
        for name in self.stores:
            rows = v[v["store"] == name]
            failed = rows[~rows["ok"].astype(bool)]
            net = failed[failed["check"].isin(["connect", "handshake"])]
            if len(net):
                out[name] = f"{name}: ERROR — {net['detail'].iloc[0]}"
                continue
            if (failed["check"] == "trust_store").any():
                out[name] = f"{name}: UNKNOWN — {failed[failed['check'] == 'trust_store']['detail'].iloc[0]}"
                continue
            named = failed[failed["check"] != "path_validation"]
            top = min((SEVERITY_RANK.get(str(s), 3) for s in named["severity"]), default=None)
            labels = [
                CHECK_LABELS.get(str(c), str(c))
                for c, s in zip(named["check"], named["severity"], strict=True)
                if SEVERITY_RANK.get(str(s), 3) == top
            ]
            critical = top == 0
            if self.trusted(name) and not critical:
                out[name] = f"{name}: TRUSTED" + (f" with warnings — {', '.join(labels)}" if labels else "")
                continue
            if not labels:
                pv = rows[rows["check"] == "path_validation"]
                labels = [str(pv["detail"].iloc[0])] if len(pv) else ["not trusted"]
            note = "" if self.go_errors.get(name) or critical else " (Go connects; strict verifiers refuse)"
            out[name] = f"{name}: UNTRUSTED — {', '.join(labels)}{note}"
        return out

    def __str__(self) -> str:
        head = f"{self.target} (name {self.hostname})" if self.hostname else self.target
        lines = [head]
        if self.tls_version:
            lines.append(
                f"  {self.tls_version} {self.cipher} ALPN {self.alpn or '-'}; "
                f"connect {_ms(self.connect_ms)}, handshake {_ms(self.handshake_ms)}"
            )
        for c in self.certs.itertuples():
            lines.append(f"  [{c.position}] {c.subject}  (issuer {c.issuer}; {c.days_left:.0f} days left)")
        for name, line in self.overall.items():
            lines.append(f"  {line}")
            go = self.go_errors.get(name)
            if go:
                lines.append(f"      Go: {go}")
        return "\n".join(lines)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} ms"


#: What the TLS analyses accept: one report, several, or their ``verdicts`` tables concatenated.
ReportsOrVerdicts: TypeAlias = TlsReport | Iterable[TlsReport] | pd.DataFrame


def report_tables(
    reports_or_verdicts: ReportsOrVerdicts,
) -> tuple[pd.DataFrame, pd.DataFrame | None, dict[str, dt.datetime], dict[str, str | None]]:
    """The tables of one or more reports, or a verdicts table as is.

    Parameters
    ----------
    reports_or_verdicts : TlsReport, iterable of TlsReport, or DataFrame
        Reports, or a ``tls_verdicts`` table.

    Returns
    -------
    (DataFrame, DataFrame or None, dict, dict)
        The verdicts (schema ``tls_verdicts``), the certificates (schema
        ``certs``; None for a verdicts table), the evaluation time per target
        and the ``error_kind`` per target (both empty for a verdicts table).

    Raises
    ------
    InvalidParameterError
        Something that is neither a report, reports nor a DataFrame.
    """
    if isinstance(reports_or_verdicts, pd.DataFrame):
        return conform(reports_or_verdicts, "tls_verdicts"), None, {}, {}
    reports = [reports_or_verdicts] if isinstance(reports_or_verdicts, TlsReport) else list(reports_or_verdicts)
    if not all(isinstance(r, TlsReport) for r in reports):
        raise InvalidParameterError(
            "reports_or_verdicts: expected a TlsReport, an iterable of TlsReport, or a tls_verdicts DataFrame"
        )
    verdicts = conform(pd.concat([r.verdicts for r in reports], ignore_index=True) if reports else None, "tls_verdicts")
    certs = conform(pd.concat([r.certs for r in reports], ignore_index=True) if reports else None, "certs")
    at = {r.target: r.at for r in reports}
    kinds = {r.target: r.error_kind for r in reports}
    return verdicts, certs, at, kinds
