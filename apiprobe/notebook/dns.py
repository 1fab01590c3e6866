"""Notebook glue for 03_dns: get DNS queries, show what they are."""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from apiprobe._frames import failed_mask
from apiprobe.load.resolv_conf import ResolvConf, read_resolv_conf
from apiprobe.load.tables import read_dns
from apiprobe.notebook._common import heading, time_span
from apiprobe.notebook._display import show_table
from apiprobe.probe.dns import probe_dns
from apiprobe.schema import validate

__all__ = ["DnsEvidence", "get_dns", "show_dns_overview"]


@dataclass(frozen=True)
class DnsEvidence:
    """The DNS queries a notebook analyses, where they came from, and the resolv.conf in force.

    Attributes
    ----------
    dns : pandas.DataFrame
        One row per query and answer, schema ``dns``.
    source : str
        Where they came from, in words.
    resolv_conf : ResolvConf or None
        The parsed resolv.conf, or None when it was not analysed.
    """

    dns: pd.DataFrame
    source: str
    resolv_conf: ResolvConf | None = None


def get_dns(
    *,
    names: list[str] | tuple[str, ...] = (),
    resolvers: list[str] | tuple[str, ...] = ("system",),
    rtypes: list[str] | tuple[str, ...] = ("A", "AAAA"),
    count: int = 5,
    interval: float = 0.5,
    timeout_ms: float = 2000.0,
    dns_path: str | os.PathLike[str] = "",
    resolv_conf: str | os.PathLike[str] = "/etc/resolv.conf",
) -> DnsEvidence:
    """Resolve ``names`` now, or read ``dns_path``, or query the lab's DNS zone on loopback.

    Parameters
    ----------
    names
        Names to resolve with every resolver in ``resolvers`` ("system" or "IP[:port]").
    dns_path
        A saved ``dns`` table to analyse instead.
    resolv_conf
        resolv.conf to analyse for search-list/ndots expansion ("" to skip). Missing
        files are treated as resolv.conf(5) defaults.
    resolvers
        "system" or "IP[:port]" of the servers to ask.
    count, interval, timeout_ms, rtypes
        Passed to :func:`apiprobe.probe_dns` (``timeout_ms`` in ms).

    With neither ``names`` nor ``dns_path``, two lab DNS servers (an "inside"
    and an "outside" view of the zone ``lab.test``) are started on 127.0.0.1
    and queried, so the notebook shows every fault without touching the network.

    Returns
    -------
    DnsEvidence
        The queries (schema ``dns``), their source and the resolv.conf.
    """
    conf = read_resolv_conf(Path(resolv_conf)) if resolv_conf else None
    if names:
        dns = probe_dns(
            list(names),
            rtypes=tuple(rtypes),
            resolvers=tuple(resolvers),
            count=count,
            interval=interval,
            timeout=timeout_ms / 1000.0,
        )
        source = f"live queries of {len(names)} name(s) via {', '.join(resolvers)}, {count} round(s)"
    elif dns_path:
        dns = read_dns(dns_path)
        source = f"saved queries from {Path(dns_path).name}"
    else:
        from apiprobe.lab._dns import DnsServer, default_lab_zone

        with (
            DnsServer(default_lab_zone(view="inside")) as inside,
            DnsServer(default_lab_zone(view="outside")) as outside,
        ):
            lab_names = [
                f"{n}.lab.test"
                for n in (
                    "ok",
                    "alias",
                    "slow",
                    "jitter",
                    "nx",
                    "fail",
                    "drop",
                    "flap",
                    "short-ttl",
                    "split",
                    "big",
                    "v4only",
                )
            ]
            dns = probe_dns(
                lab_names,
                rtypes=tuple(rtypes),
                resolvers=(inside.spec, outside.spec),
                count=min(count, 4),
                interval=interval,
                timeout=min(timeout_ms, 1000.0) / 1000.0,
            )
        source = "the built-in lab zone on two loopback DNS servers (no names or dns_path given)"
    validate(dns, "dns")
    return DnsEvidence(dns=dns, source=source, resolv_conf=conf)


def show_dns_overview(evidence: DnsEvidence, *, title: str = "") -> None:
    """Display what the DNS notebook is looking at: source, time range, queries per resolver.

    Parameters
    ----------
    evidence : DnsEvidence
        What :func:`get_dns` returned.
    title : str, optional
        A heading above the overview.
    """
    from IPython.display import HTML, display

    d = evidence.dns
    head = heading(title)
    conf = evidence.resolv_conf
    conf_text = (
        f"resolv.conf: nameservers {', '.join(conf.nameservers) or '(none)'}, search "
        f"{' '.join(conf.search) or '(none)'}, ndots {conf.ndots}, timeout {conf.timeout} s, "
        f"attempts {conf.attempts}."
        if conf is not None
        else "resolv.conf not analysed."
    )
    if d.empty:
        display(HTML(head + f"<p>No queries in {html.escape(evidence.source)}.</p>"))
        return
    span = time_span(d["ts"])
    per = (
        d.assign(failed=failed_mask(d))
        .groupby("resolver")
        .agg(queries=("ts", "size"), failed=("failed", "sum"), names=("name", "nunique"))
        .reset_index()
    )
    display(
        HTML(
            head + f"<p>Data: {html.escape(evidence.source)}; {len(d)} queries, {html.escape(span)}.<br>"
            f"{html.escape(conf_text)}</p>"
        )
    )
    show_table(per, caption="Queries per resolver")
