"""DNS analysis: summaries and findings from a ``dns`` table, and resolv.conf rules.

Pure functions: a ``dns`` table (from :func:`apiprobe.probe.dns.probe_dns`)
in, a table out; resolv.conf is read by :func:`apiprobe.load.read_resolv_conf`,
whose :class:`~apiprobe.load.ResolvConf` the functions here take. The
slow-resolution threshold defaults to the handbook's (§2.1: DNS > 200 ms is
abnormal).

Name expansion follows glibc's ``res_search`` and Go's pure resolver (both
read ``/etc/resolv.conf``): a name ending in a dot is absolute and tried
alone; a name with at least ``ndots`` dots is tried as is first, then with
each search domain appended; a name with fewer dots is tried with each
search domain first and as is last. Kubernetes pods get ``ndots:5`` and three
or more search domains, so ``api.example.com`` costs several failing lookups
(for A and for AAAA) before the real one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from apiprobe.analyze._findings import finding, finding_window, findings_frame
from apiprobe.errors import InvalidTargetError
from apiprobe.load.resolv_conf import ResolvConf
from apiprobe.schema import conform

__all__ = ["detect_dns_faults", "expand_name", "summarize_dns"]

_DETECTOR = "detect_dns_faults"
_REF = "§2.1"
_FAIL_KINDS = ("nxdomain", "servfail", "dns_timeout", "dns_failure")
_NO_RECORDS = "(no records)"


def expand_name(name: str, conf: ResolvConf | None = None) -> list[str]:
    """The names a glibc or Go resolver queries for ``name``, in order.

    Every candidate is absolute (ends with a dot). With ``ndots:5`` and the
    Kubernetes search list ``default.svc.cluster.local svc.cluster.local
    cluster.local``, ``api.example.com`` gives
    ``api.example.com.default.svc.cluster.local.``,
    ``api.example.com.svc.cluster.local.``, ``api.example.com.cluster.local.``
    and only then ``api.example.com.``; ``api.example.com.`` (trailing dot)
    gives just itself. Each candidate is asked for A and for AAAA.

    Parameters
    ----------
    name : str
        Host name as a client would pass it.
    conf : apiprobe.load.ResolvConf, optional
        Resolver configuration (default: :class:`~apiprobe.load.ResolvConf` defaults:
        ``ndots:1``, no search list).

    Returns
    -------
    list of str
        Absolute candidate names, in the order the resolver tries them.

    Raises
    ------
    InvalidTargetError
        When ``name`` is empty or contains whitespace.
    """
    conf = conf or ResolvConf()
    if not isinstance(name, str) or not name.strip() or any(ch.isspace() for ch in name.strip()):
        raise InvalidTargetError(f"not a DNS name: {name!r}")
    text = name.strip()
    if text.endswith("."):
        return [text]
    as_is = text + "."
    suffixed = [f"{text}.{domain}." for domain in conf.search if domain]
    dots = text.count(".")
    if dots >= conf.ndots:
        ordered = [as_is, *suffixed]
    else:
        ordered = suffixed if dots == 0 and "no-tld-query" in conf.options else [*suffixed, as_is]
    return list(dict.fromkeys(ordered))


# -- summaries ----------------------------------------------------------------------------------

_SUMMARY_COLUMNS = [
    "name",
    "rtype",
    "resolver",
    "queries",
    "answered",
    "failures",
    *_FAIL_KINDS,
    "p50_ms",
    "p90_ms",
    "max_ms",
    "answer_sets",
    "answers",
    "min_ttl",
]


def _table(dns: pd.DataFrame) -> pd.DataFrame:
    """The input as a conformed ``dns`` table, sorted by time (a copy: inputs are never modified)."""
    df = conform(dns, "dns")
    return df.sort_values("ts", kind="stable").reset_index(drop=True) if len(df) else df


def summarize_dns(dns: pd.DataFrame) -> pd.DataFrame:
    """Per name, record type and resolver: queries, failures, query time, answers, TTL.

    Each row is one (``name``, ``rtype``, ``resolver``) with ``queries``
    (rows), ``answered`` (rows with an rcode), ``failures`` (rows with an
    ``error_kind``) and one count per kind (``nxdomain``, ``servfail``,
    ``dns_timeout``, ``dns_failure``), ``p50_ms``, ``p90_ms`` and ``max_ms``
    of ``elapsed_ms`` (over queries that came back; NaN when none did),
    ``answer_sets`` (number of distinct non-empty answers), ``answers``
    (those answers in order of first appearance, joined with ``" | "``) and
    ``min_ttl`` (smallest TTL seen, seconds; NA when none).

    Parameters
    ----------
    dns : pandas.DataFrame
        A ``dns`` table (schema ``dns``; missing columns are taken as NA).

    Returns
    -------
    pandas.DataFrame
        One row per (name, rtype, resolver): ``name, rtype, resolver`` (str); ``queries,
        answered, failures, nxdomain, servfail, dns_timeout, dns_failure`` (counts);
        ``p50_ms, p90_ms, max_ms`` (query time, ms); ``answer_sets`` (count); ``answers``
        (str); ``min_ttl`` (Int64, s).
    """
    df = _table(dns)
    if df.empty:
        return pd.DataFrame(columns=_SUMMARY_COLUMNS)
    rows: list[dict[str, Any]] = []
    for (name, rtype, resolver), group in df.groupby(["name", "rtype", "resolver"], sort=True, dropna=False):
        kinds = group["error_kind"].dropna().astype(str)
        elapsed = group["elapsed_ms"].dropna().astype(float)
        sets = list(dict.fromkeys(group["answers"].dropna().astype(str)))
        ttl = group["ttl"].dropna()
        rows.append(
            {
                "name": name,
                "rtype": rtype,
                "resolver": resolver,
                "queries": len(group),
                "answered": int(group["rcode"].notna().sum()),
                "failures": len(kinds),
                **{k: int((kinds == k).sum()) for k in _FAIL_KINDS},
                "p50_ms": float(elapsed.quantile(0.5)) if len(elapsed) else np.nan,
                "p90_ms": float(elapsed.quantile(0.9)) if len(elapsed) else np.nan,
                "max_ms": float(elapsed.max()) if len(elapsed) else np.nan,
                "answer_sets": len(sets),
                "answers": " | ".join(sets) if sets else pd.NA,
                "min_ttl": int(ttl.min()) if len(ttl) else pd.NA,
            }
        )
    out = pd.DataFrame(rows, columns=_SUMMARY_COLUMNS)
    for col in ("name", "rtype", "resolver", "answers"):
        out[col] = out[col].astype("string")
    return out.astype({"min_ttl": "Int64"})


# -- findings -----------------------------------------------------------------------------------


def _server_for(resolver: str, conf: ResolvConf | None) -> str | None:
    """The server Go would name in its error: the resolver itself, or the first nameserver for system."""
    if resolver != "system":
        return resolver
    if conf is None or not conf.nameservers:
        return None
    ns = conf.nameservers[0]
    return f"[{ns}]:53" if ":" in ns else f"{ns}:53"


def _go_lookup_error(kind: str, name: str, server: str | None) -> str:
    """What a Go client logs for a lookup failure of ``kind`` (net.DNSError text)."""
    on = f" on {server}" if server else ""
    if kind == "nxdomain":
        return f"lookup {name}{on}: no such host"
    if kind == "dns_timeout":
        return f"lookup {name}{on}: read udp …->{server}: i/o timeout" if server else f"lookup {name}: i/o timeout"
    return f"lookup {name}{on}: server misbehaving"


def _slow(df: pd.DataFrame, slow_ms: float, conf: ResolvConf | None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for (name, resolver), group in df.groupby(["name", "resolver"], sort=True):
        elapsed = group["elapsed_ms"].dropna().astype(float)
        if elapsed.empty:
            continue
        p90 = float(elapsed.quantile(0.9))
        if p90 <= slow_ms:
            continue
        per_type = ", ".join(
            f"{rtype} p50 {g['elapsed_ms'].dropna().median():.0f} ms"
            for rtype, g in group.groupby("rtype", sort=True)
            if g["elapsed_ms"].notna().any()
        )
        evidence = (
            f"Resolving {name} via {resolver} takes p90 {p90:.0f} ms over {len(elapsed)} answered "
            f"queries (max {elapsed.max():.0f} ms; {per_type})."
        )
        advice = (
            "Above the handbook's 200 ms: every new connection of a Go client pays this, since Go's "
            "net package keeps no DNS cache. Check the resolver's own latency and its upstreams "
            "(is it forwarding over a slow link?), run a local cache (node-local DNS, "
            "systemd-resolved, nscd) and keep connections alive so lookups are rare."
        )
        if conf is not None and resolver == "system" and p90 >= 0.9 * conf.timeout * 1000.0:
            evidence += (
                f" That is about resolv.conf's timeout:{conf.timeout}: a nameserver that never "
                "answers makes every lookup wait for the next one."
            )
            advice = (
                f"Remove or fix the unresponsive nameserver (first of {', '.join(conf.nameservers)}); "
                "glibc and Go wait timeout seconds on it before trying the next. " + advice
            )
        rows.append(
            finding(
                _DETECTOR,
                "dns",
                "critical" if p90 > 5 * slow_ms else "warning",
                f"{name} via {resolver}",
                metric="dns_p90_ms",
                value=p90,
                threshold=slow_ms,
                evidence=evidence,
                recommendation=advice,
                handbook_ref=_REF,
                **finding_window(group),
            )
        )
    return rows


_FAIL_ADVICE = {
    "nxdomain": (
        "Check the spelling and that the record exists in the zone this resolver serves (dig @SERVER "
        "NAME). A record created moments ago stays invisible until the negative TTL runs out at "
        "every cache. If it fails only via some resolvers, see the answers-differ finding "
        "(split horizon)."
    ),
    "servfail": (
        "The resolver could not get an answer: its upstream or the zone's authoritative servers are "
        "failing, or DNSSEC validation fails (SERVFAIL); or it refuses to serve this client or "
        "zone (REFUSED: recursion ACL, not authoritative). Check the resolver's logs and its "
        "forwarders; query the authoritative servers directly."
    ),
    "dns_timeout": (
        "The resolver did not answer at all: check that it runs and is reachable on UDP and TCP "
        "port 53 (firewalls, security groups, conntrack table full), and its load. glibc and Go "
        "wait resolv.conf's timeout (5 s by default) per try, attempts (2) times per server, so a "
        "dead first nameserver adds seconds to every lookup."
    ),
    "dns_failure": (
        "The lookup failed without a clear answer (an unusual rcode, a refused UDP port or a "
        "malformed response): see the error column, and try the resolver with dig."
    ),
}


def _failures(df: pd.DataFrame, conf: ResolvConf | None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    failed = df[df["error_kind"].notna()]
    for (name, resolver, kind), group in failed.groupby(["name", "resolver", "error_kind"], sort=True):
        total = df[(df["name"] == name) & (df["resolver"] == resolver)]
        n, k = len(total), len(group)
        rcodes = group["rcode"].dropna().astype(str).value_counts()
        rcode_text = f" ({', '.join(f'{c} ×{v}' for c, v in rcodes.items())})" if len(rcodes) else ""
        types = ", ".join(sorted(group["rtype"].astype(str).unique()))
        go = _go_lookup_error(str(kind), str(name).rstrip("."), _server_for(str(resolver), conf))
        evidence = (
            f"{k} of {n} queries for {name} ({types}) via {resolver} failed with {kind}{rcode_text}; "
            f"a Go client logs '{go}'."
        )
        if kind == "nxdomain":
            neg = group["ttl"].dropna()
            if len(neg):
                evidence += f" Negative TTL {int(neg.max())} s: caches keep this NXDOMAIN that long."
        advice = _FAIL_ADVICE.get(str(kind), _FAIL_ADVICE["dns_failure"])
        if kind == "dns_timeout" and conf is not None:
            advice += (
                f" This host: timeout:{conf.timeout} attempts:{conf.attempts} over "
                f"{len(conf.nameservers)} nameserver(s), worst case {conf.worst_case_ms() / 1000:.0f} s "
                "per name candidate."
            )
        intermittent = k < n
        if intermittent:
            evidence += " Other queries for the same name succeeded: the failure is intermittent."
        severity = "warning" if kind == "dns_failure" or (intermittent and kind == "nxdomain") else "critical"
        rows.append(
            finding(
                _DETECTOR,
                "dns",
                severity,
                f"{name} via {resolver}",
                metric=f"{kind}_share",
                value=k / n,
                threshold=0.0,
                evidence=evidence,
                recommendation=advice,
                handbook_ref=_REF,
                **finding_window(group),
            )
        )
    return rows


def _outcome(row: pd.Series) -> str | None:
    """What a query said, for comparing resolvers: the answers, "(no records)", or None (no verdict)."""
    if pd.notna(row["answers"]):
        return str(row["answers"])
    kind = row["error_kind"]
    if pd.isna(kind):
        return _NO_RECORDS if pd.notna(row["rcode"]) else None
    return _NO_RECORDS if kind == "nxdomain" else None
    return None


def _counted(values: Iterable[str]) -> str:
    counts = pd.Series(list(values)).value_counts(sort=False)
    return "; ".join(f"{v} ×{c}" if c > 1 else str(v) for v, c in counts.items())


def _differ(df: pd.DataFrame) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    outcomes = df.assign(_outcome=df.apply(_outcome, axis=1) if len(df) else pd.Series(dtype=object))
    outcomes = outcomes[outcomes["_outcome"].notna()]
    for (name, rtype), group in outcomes.groupby(["name", "rtype"], sort=True):
        per = {str(r): g for r, g in group.groupby("resolver", sort=True)}
        if len(per) < 2:
            continue
        sets = {r: frozenset(g["_outcome"]) for r, g in per.items()}
        if len(set(sets.values())) < 2:
            continue
        values = list(sets.values())
        disjoint = any(not (a & b) for i, a in enumerate(values) for b in values[i + 1 :])
        said = "; ".join(f"{r} answered {_counted(g['_outcome'])}" for r, g in per.items())
        evidence = f"{name} {rtype}: {said}."
        advice = (
            "Resolvers disagree. Usual causes: split-horizon DNS (an internal view and a public view of "
            "the zone), a stale cache still serving the old record until its TTL runs out (compare "
            "the TTLs), an /etc/hosts entry when only 'system' differs, or geo/CDN names that "
            "answer by client location (benign). Make the client use the resolver the service is "
            "meant to use, flush the stale cache, and check the record at the authoritative server."
        )
        if "system" in per and sets["system"] != frozenset().union(*(s for r, s in sets.items() if r != "system")):
            advice += " The system resolver also applies /etc/hosts and the search list: check both."
        rows.append(
            finding(
                _DETECTOR,
                "dns",
                "warning" if disjoint else "info",
                f"{name} {rtype}",
                metric="resolvers_disagreeing",
                value=float(len(set(values))),
                threshold=1.0,
                evidence=evidence,
                recommendation=advice,
                handbook_ref=_REF,
                **finding_window(group),
            )
        )
    return rows


def _flapping(df: pd.DataFrame) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    ok = df[df["answers"].notna()]
    for (name, rtype, resolver), group in ok.groupby(["name", "rtype", "resolver"], sort=True):
        answers = group["answers"].astype(str).tolist()
        if len(set(answers)) < 2:
            continue
        ts = group["ts"].tolist()
        ttls = group["ttl"].tolist()
        changes = [i for i in range(1, len(answers)) if answers[i] != answers[i - 1]]
        within_ttl = sum(
            1 for i in changes if pd.notna(ttls[i - 1]) and (ts[i] - ts[i - 1]).total_seconds() < float(ttls[i - 1])
        )
        seq = " → ".join(answers[:6]) + (" → …" if len(answers) > 6 else "")
        evidence = (
            f"{name} {rtype} via {resolver} changed answer {len(changes)} times over {len(answers)} "
            f"answered queries ({len(set(answers))} distinct sets): {seq}."
        )
        if within_ttl:
            evidence += (
                f" {within_ttl} change(s) came before the previous answer's TTL had run out: the "
                "resolver is not serving one consistent record."
            )
        advice = (
            "If the name is a load-balanced pool (round-robin, CDN), changing answers are expected: make "
            "sure every address is healthy. Otherwise the resolver sits on backends with different "
            "data (load-balanced resolvers with separate caches, authoritative servers out of sync "
            "after a zone change, a failover record toggling): query each backend directly. Go's "
            "resolver keeps no cache, so its connections follow every flap."
        )
        rows.append(
            finding(
                _DETECTOR,
                "dns",
                "warning" if len(changes) >= 2 else "info",
                f"{name} {rtype} via {resolver}",
                metric="answer_changes",
                value=float(len(changes)),
                threshold=1.0,
                evidence=evidence,
                recommendation=advice,
                handbook_ref=_REF,
                **finding_window(group),
            )
        )
    return rows


def _low_ttl(df: pd.DataFrame, low_ttl_s: float) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    ok = df[df["answers"].notna() & df["ttl"].notna()]
    for (name, resolver), group in ok.groupby(["name", "resolver"], sort=True):
        # Caches count TTLs down, so the largest TTL seen is the closest to the configured one.
        best = int(group["ttl"].max())
        if best >= low_ttl_s:
            continue
        per_type = ", ".join(f"{rtype} {int(g['ttl'].max())} s" for rtype, g in group.groupby("rtype", sort=True))
        rows.append(
            finding(
                _DETECTOR,
                "dns",
                "info",
                f"{name} via {resolver}",
                metric="ttl_s",
                value=float(best),
                threshold=float(low_ttl_s),
                evidence=f"{name} is served with a TTL of at most {best} s via {resolver} ({per_type}): every "
                "cache must ask again that often.",
                recommendation="Low TTLs multiply resolver load and make a resolver outage visible within "
                "seconds. Raise the TTL unless it is deliberately low for fast failover. Go's net "
                "package resolves on every new connection whatever the TTL: keep connections "
                "alive (Transport.MaxIdleConnsPerHost) and run a local DNS cache.",
                handbook_ref=_REF,
                **finding_window(group),
            )
        )
    return rows


def _expansion(df: pd.DataFrame, conf: ResolvConf) -> list[dict[str, Any]]:
    """One finding for every name that resolved but is tried with the search domains first."""
    answered = df[df["answers"].notna()]
    direct_ok = set(answered.loc[answered["resolver"].ne("system"), "name"].astype(str))
    affected: list[tuple[str, list[str], int]] = []
    for name in dict.fromkeys(answered["name"].astype(str)):
        if name.endswith(".") or "." not in name:
            continue  # absolute, or a single label meant to be completed by the search list
        candidates = expand_name(name, conf)
        wasted = candidates.index(name + ".") if name + "." in candidates else len(candidates)
        if wasted:
            affected.append((name, candidates, wasted))
    if not affected:
        return []
    name, candidates, wasted = affected[0]
    most = max(w for _, _, w in affected)
    names = [n for n, _, _ in affected]
    listed = ", ".join(names[:8]) + (f" (+{len(names) - 8} more)" if len(names) > 8 else "")
    rtt = answered["elapsed_ms"].dropna().median()
    cost = f", about {most * rtt:.0f} ms at this table's median query time," if not math.isnan(rtt) else ""
    search = " ".join(conf.search)
    evidence = (
        f"With ndots:{conf.ndots} and search '{search}', names with fewer than {conf.ndots} dots are "
        f"tried with every search domain first: {name} is asked as {', '.join(candidates[:wasted])} "
        f"before {name}. — {wasted} failing lookup(s) per address family, {2 * wasted} queries "
        f"(A and AAAA){cost} before the real one. Names affected: {listed}."
    )
    exists = [n for n in names if n in direct_ok]
    if not exists:
        evidence += (
            " (No DNS server in this table answered them as is; names that rely on the search list "
            "are meant to be expanded.)"
        )
    window = finding_window(df[df["name"].isin(names)])
    return [
        finding(
            _DETECTOR,
            "dns",
            "warning" if exists else "info",
            f"search list (ndots:{conf.ndots})",
            metric="search_expansions",
            value=float(most),
            threshold=0.0,
            evidence=evidence,
            recommendation="Write external names fully qualified with a trailing dot (api.example.com.) in the "
            "client's configuration, so glibc and Go query them as is; or lower ndots for the "
            'workload (Kubernetes: spec.dnsConfig.options ndots: "2"), so names with dots are '
            "tried as is first. CoreDNS's autopath plugin can shortcut the search walk server-side.",
            handbook_ref=_REF,
            **window,
        )
    ]


def detect_dns_faults(
    dns: pd.DataFrame,
    *,
    slow_ms: float = 200.0,
    low_ttl_s: float = 30,
    resolv_conf: ResolvConf | None = None,
) -> pd.DataFrame:
    """Find slow, failing, inconsistent and wasteful name resolution in a ``dns`` table.

    Each row is one finding (schema ``findings``, fault ``dns``, handbook §2.1):

    * slow resolution — p90 ``elapsed_ms`` per name and resolver above
      ``slow_ms`` (handbook: 200 ms); critical above five times that;
    * failures per name, resolver and kind — NXDOMAIN, SERVFAIL/REFUSED,
      timeouts and other errors, with the error a Go client logs (``lookup
      NAME on SERVER: no such host``, ``server misbehaving``, ``i/o timeout``)
      and the negative TTL;
    * answers that differ between resolvers for one name and type (split
      horizon, stale cache, /etc/hosts);
    * answers that change over time at one resolver (flapping), noting changes
      that came before the previous answer's TTL expired;
    * low TTLs — the largest TTL seen below ``low_ttl_s``;
    * with ``resolv_conf``: search-list expansion cost — one finding listing
      the answered names that glibc and Go try with every search domain
      before the name itself (fewer dots than ``ndots``), with the number of
      failing lookups each costs; a warning when a DNS server answered such a
      name as is (so the detour is pure waste), info otherwise.

    Parameters
    ----------
    dns : pandas.DataFrame
        A ``dns`` table (from :func:`apiprobe.probe.dns.probe_dns`).
    slow_ms : float, default 200
        Threshold for the p90 query time, ms (handbook §2.1).
    low_ttl_s : float, default 30
        TTLs below this many seconds are reported.
    resolv_conf : apiprobe.load.ResolvConf, optional
        The client's resolver configuration (see :func:`apiprobe.load.read_resolv_conf`), for
        the search-list finding and Go's error text for the system resolver.

    Returns
    -------
    pandas.DataFrame
        Schema ``findings``: ``detector, fault, severity, subject, ts_start, ts_end, metric,
        value, threshold, evidence, recommendation, handbook_ref``, most severe first.
    """
    df = _table(dns)
    rows: list[dict[str, Any]] = []
    if df.empty:
        return findings_frame(rows)
    rows += _slow(df, slow_ms, resolv_conf)
    rows += _failures(df, resolv_conf)
    rows += _differ(df)
    rows += _flapping(df)
    rows += _low_ttl(df, low_ttl_s)
    if resolv_conf is not None:
        rows += _expansion(df, resolv_conf)
    return findings_frame(rows)
