"""Connection-pool exhaustion and pool sizing (handbook §2.5).

Three kinds of evidence point at an exhausted pool:

* a goroutine dump (:func:`apiprobe.load.goroutines.read_goroutines`) where
  many goroutines sit in ``net/http.(*Transport).getConn`` or
  ``database/sql.(*DB).conn`` while only a few hold a connection;
* log lines such as ``net/http: request canceled while waiting for
  connection``, ``redis: connection pool timeout``, ``pg: connection pool
  timeout``;
* a concurrency sweep (:func:`apiprobe.probe.concurrency.probe_concurrency`)
  where throughput stops growing and latency climbs linearly past a knee.

Sizing follows queueing theory rather than the handbook's rule of thumb
alone: Little's law gives the mean number of requests in flight
(``rate × latency``); Erlang C (M/M/c) gives how long requests wait for a
connection at each pool size; the handbook's ``cores × (1 + wait/compute)``
sizes a *worker* pool for CPU saturation and ignores the arrival rate, so it
is shown next to the queueing answer, not instead of it.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from apiprobe._frames import require_columns
from apiprobe.analyze._findings import finding, findings_frame
from apiprobe.analyze._pool_sizing import find_knee, littles_law, mmc_wait, pool_sizing  # sizing has its own module

__all__ = [
    "POOL_LOG_PATTERNS",
    "compare_dumps",
    "detect_pool_exhaustion",
    "find_knee",
    "group_goroutines",
    "growth",
    "littles_law",
    "mmc_wait",
    "pool_sizing",
]


_REF = "§2.5"
_DETECTOR = "detect_pool_exhaustion"

#: Log messages that mean "waited for a pool connection and gave up": regex → (pool, setting).
POOL_LOG_PATTERNS: dict[str, tuple[str, str]] = {
    r"request canceled while waiting for connection": ("net/http client pool", "http.Transport.MaxConnsPerHost"),
    r"redis: connection pool timeout": ("go-redis pool", "redis.Options.PoolSize / PoolTimeout"),
    r"pg: connection pool timeout": ("go-pg pool", "pg.Options.PoolSize / PoolTimeout"),
    r"(?i)connection pool exhausted|pool exhausted|all connections (?:are )?(?:busy|in use)": (
        "client pool",
        "the pool's maximum size",
    ),
    r"(?i)timeout waiting for (?:a |an )?(?:idle |free )?connection": ("client pool", "the pool's maximum size"),
    r"(?i)too many connections|sorry, too many clients already|remaining connection slots are reserved": (
        "database server connection limit",
        "max_connections on the server vs SetMaxOpenConns × instances",
    ),
}

#: Stack frames of a goroutine that holds a database/sql connection: a driver call in progress
#: (``(*DB).queryDC``, ``execDC``, ``ctxDriverQuery`` …) or rows being read.
_SQL_HOLDING = (
    r"(?m)^database/sql\.(?:\(\*DB\)\.(?:queryDC|execDC|pingDC|prepareDC|beginDC)"
    r"|ctxDriver\w+|\(\*Rows\)\.(?:Next|nextLocked))$"
)

_WAIT_SITES_POOL = {
    "http_pool_wait": ("HTTP pool", "MaxConnsPerHost", "net/http.(*Transport).getConn"),
    "sql_pool_wait": ("database/sql pool", "SetMaxOpenConns", "database/sql.(*DB).conn"),
    "pool_wait": ("client pool", "PoolSize", "the client library's pool"),
}


# -- goroutine groups ------------------------------------------------------------------------


def _minutes_range(lo: float, hi: float) -> str:
    if pd.isna(lo):
        return ""
    return f"{lo:g}" if lo == hi else f"{lo:g}~{hi:g}"


def group_goroutines(goroutines: pd.DataFrame) -> pd.DataFrame:
    """Bucket goroutines with the same function sequence, like panicparse.

    Each row is one group (``group_id``): ``count`` (goroutines), ``states``
    (``"select×18, IO wait×2"``), ``wait_min`` / ``wait_max`` (minutes,
    NaN when the runtime reported none) and ``wait_minutes`` (``"3~12"``),
    ``wait_site``, ``top_function``, ``app_function``, ``created_by``,
    ``goroutine_ids`` (first ten, comma-separated) and ``stack`` (the
    representative stack, leaf first). Largest groups first.

    Parameters
    ----------
    goroutines : pandas.DataFrame
        A goroutines table from :func:`~apiprobe.load.goroutines.read_goroutines`.

    Returns
    -------
    pandas.DataFrame
        One row per group, largest first: ``group_id`` (str), ``count`` (Int64, goroutines),
        ``states`` (str), ``wait_min``, ``wait_max`` (float64, minutes), ``wait_minutes`` (str),
        ``wait_site, top_function, app_function, created_by, goroutine_ids, stack`` (str).

    Raises
    ------
    SchemaError
        When a non-empty table lacks ``group_id``, ``state``, ``wait_minutes``, ``wait_site``,
        ``top_function`` or ``stack``.
    """
    cols = [
        "group_id",
        "count",
        "states",
        "wait_min",
        "wait_max",
        "wait_minutes",
        "wait_site",
        "top_function",
        "app_function",
        "created_by",
        "goroutine_ids",
        "stack",
    ]
    if goroutines.empty:
        return pd.DataFrame(
            {
                c: pd.Series(
                    [],
                    dtype="Int64"
                    if c == "count"
                    else ("float64" if c.startswith("wait_m") and c != "wait_minutes" else "string"),
                )
                for c in cols
            }
        )
    require_columns(
        goroutines, ["group_id", "state", "wait_minutes", "wait_site", "top_function", "stack"], table="goroutines"
    )
    rows: list[dict[str, Any]] = []
    g = goroutines.assign(_n=goroutines["count"].fillna(1).astype("int64") if "count" in goroutines else 1)
    for gid, part in g.groupby("group_id", sort=False):
        states = part.groupby(part["state"].fillna("?"), sort=False)["_n"].sum().sort_values(ascending=False)
        first = part.iloc[0]
        wm = pd.to_numeric(part["wait_minutes"], errors="coerce")
        lo, hi = float(wm.min()), float(wm.max())
        ids = part["goroutine_id"].dropna().astype("int64").tolist()[:10] if "goroutine_id" in part else []
        sites = part.groupby("wait_site", sort=False)["_n"].sum().sort_values(ascending=False)
        rows.append(
            {
                "group_id": gid,
                "count": int(part["_n"].sum()),
                "states": ", ".join(f"{s}×{n}" for s, n in states.items()),
                "wait_min": lo,
                "wait_max": hi,
                "wait_minutes": _minutes_range(lo, hi),
                "wait_site": sites.index[0],
                "top_function": first["top_function"],
                "app_function": first.get("app_function"),
                "created_by": first.get("created_by"),
                "goroutine_ids": ",".join(str(i) for i in ids),
                "stack": first["stack"],
            }
        )
    out = pd.DataFrame(rows, columns=cols)
    out = out.sort_values(["count", "group_id"], ascending=[False, True], kind="stable").reset_index(drop=True)
    return out.astype(
        {
            "count": "Int64",
            "wait_min": "float64",
            "wait_max": "float64",
            **{c: "string" for c in cols if c not in ("count", "wait_min", "wait_max")},
        }
    )


def compare_dumps(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Diff two goroutine dumps group by group (goroutine-inspect's left/both/right, with counts).

    Each row is one group: ``group_id``, ``top_function``, ``wait_site``,
    ``count_before``, ``count_after`` (Int64, 0 when absent), ``delta`` and
    ``change``: ``new`` (only after), ``gone`` (only before), ``grown``,
    ``shrunk`` or ``same``. Sorted by the size of the change, growth first.

    Parameters
    ----------
    before, after : pandas.DataFrame
        Goroutine tables (:func:`apiprobe.parse_goroutines`) of an earlier and a later dump.

    Returns
    -------
    pandas.DataFrame
        One row per group, largest change first: ``group_id, top_function, wait_site`` (str),
        ``count_before, count_after, delta`` (Int64, goroutines), ``change`` (str).
    """
    b = group_goroutines(before).set_index("group_id")
    a = group_goroutines(after).set_index("group_id")
    ids = list(dict.fromkeys([*a.index, *b.index]))
    count_b = {str(k): int(v) for k, v in b["count"].items()}
    count_a = {str(k): int(v) for k, v in a["count"].items()}
    rows = []
    for gid in ids:
        nb = count_b.get(gid, 0)
        na = count_a.get(gid, 0)
        ref = a if gid in a.index else b
        if gid not in b.index:
            change = "new"
        elif gid not in a.index:
            change = "gone"
        else:
            change = "grown" if na > nb else "shrunk" if na < nb else "same"
        rows.append(
            {
                "group_id": gid,
                "top_function": ref.at[gid, "top_function"],
                "wait_site": ref.at[gid, "wait_site"],
                "count_before": nb,
                "count_after": na,
                "delta": na - nb,
                "change": change,
            }
        )
    cols = ["group_id", "top_function", "wait_site", "count_before", "count_after", "delta", "change"]
    out = pd.DataFrame(rows, columns=cols)
    if out.empty:
        return out.astype({c: "Int64" if c.startswith(("count", "delta")) else "string" for c in cols})
    out = out.assign(_abs=out["delta"].abs()).sort_values(
        ["_abs", "delta", "group_id"], ascending=[False, False, True], kind="stable"
    )
    out = out.drop(columns="_abs").reset_index(drop=True)
    return out.astype(
        {
            "count_before": "Int64",
            "count_after": "Int64",
            "delta": "Int64",
            "group_id": "string",
            "top_function": "string",
            "wait_site": "string",
            "change": "string",
        }
    )


def growth(dumps: Sequence[pd.DataFrame] | Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Goroutines per group across snapshots, flagging groups that only grow (leak suspects).

    Each row is one (group, snapshot): ``group_id``, ``snapshot`` (label:
    the mapping key, else the ``source`` of the dump or its position),
    ``snapshot_no`` (0, 1, …), ``count`` (0 when the group is absent),
    ``top_function``, ``wait_site``, and per group ``growing`` (never
    shrinks and ends higher) and ``leak_suspect`` (growing over at least
    three snapshots, with at least two increases).

    Parameters
    ----------
    dumps : sequence of pandas.DataFrame or mapping of str to pandas.DataFrame
        Goroutine tables in time order, or a mapping label → table.

    Returns
    -------
    pandas.DataFrame
        One row per (group, snapshot): ``group_id, snapshot`` (str), ``snapshot_no`` (Int64),
        ``count`` (Int64, goroutines), ``top_function, wait_site`` (str),
        ``growing, leak_suspect`` (boolean).
    """
    if isinstance(dumps, Mapping):
        items = list(dumps.items())
    else:
        items = []
        for i, d in enumerate(dumps):
            src = d["source"].dropna() if "source" in d and not d.empty else pd.Series([], dtype="string")
            label = str(src.iloc[0]) if len(src) else f"#{i}"
            items.append((label if label not in [k for k, _ in items] else f"{label}#{i}", d))
    grouped = [(label, group_goroutines(d)) for label, d in items]
    meta: dict[str, tuple[Any, Any]] = {}
    for _, gdf in grouped:
        for r in gdf.itertuples(index=False):
            meta.setdefault(str(r.group_id), (r.top_function, r.wait_site))
    rows: list[dict[str, Any]] = []
    for gid, (top, site) in meta.items():
        counts: list[int] = []
        for no, (label, gdf) in enumerate(grouped):
            hit = gdf.loc[gdf["group_id"] == gid, "count"]
            n = int(hit.iloc[0]) if len(hit) else 0
            counts.append(n)
            rows.append(
                {
                    "group_id": gid,
                    "snapshot": label,
                    "snapshot_no": no,
                    "count": n,
                    "top_function": top,
                    "wait_site": site,
                }
            )
        steps = [b - a for a, b in itertools.pairwise(counts)]
        grow = bool(steps) and all(s >= 0 for s in steps) and counts[-1] > counts[0]
        leak = grow and len(counts) >= 3 and sum(s > 0 for s in steps) >= 2
        for row in rows[-len(counts) :]:
            row["growing"], row["leak_suspect"] = grow, leak
    cols = ["group_id", "snapshot", "snapshot_no", "count", "top_function", "wait_site", "growing", "leak_suspect"]
    out = pd.DataFrame(rows, columns=cols)
    return out.astype(
        {
            "group_id": "string",
            "snapshot": "string",
            "snapshot_no": "Int64",
            "count": "Int64",
            "top_function": "string",
            "wait_site": "string",
            "growing": "boolean",
            "leak_suspect": "boolean",
        }
    )


def _count(df: pd.DataFrame, mask: pd.Series) -> int:
    n = df.loc[mask, "count"] if "count" in df else pd.Series([1] * int(mask.sum()))
    return int(n.fillna(1).sum())


def _from_goroutines(
    g: pd.DataFrame, pool_size: int | None, rate: float | None, latency_ms: float | None
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if g is None or g.empty:
        return out
    require_columns(g, ["stack", "wait_site", "wait_minutes"], table="goroutines")
    stacks = g["stack"].fillna("")
    for site, (pool_name, setting, func) in _WAIT_SITES_POOL.items():
        mask = g["wait_site"] == site
        waiting = _count(g, mask)
        if waiting == 0:
            continue
        holders = None
        holder_note = ""
        if site == "http_pool_wait":
            in_flight = _count(g, g["wait_site"] == "http_in_flight")
            reading = _count(
                g, stacks.str.contains("net/http.(*persistConn).readLoop", regex=False) & (g["wait_site"] == "net_io")
            )
            holders = in_flight or reading or None
            if holders:
                holder_note = (
                    f"; {holders} request{'s' if holders != 1 else ''} hold a connection and wait for "
                    f"the upstream's response (net I/O)"
                )
        elif site == "sql_pool_wait":
            # a goroutine inside the driver (queryDC, execDC, ctxDriver…) or reading rows holds a connection
            inside = stacks.str.contains(_SQL_HOLDING, regex=True) & ~mask
            holders = _count(g, inside) or None
            if holders:
                holder_note = (
                    f"; {holders} goroutine{'s' if holders != 1 else ''} hold a connection inside the "
                    "driver (database/sql.(*DB).queryDC / execDC or (*Rows).Next)"
                )
        pool = pool_size if pool_size is not None else holders
        wm = pd.to_numeric(g.loc[mask, "wait_minutes"], errors="coerce")
        longest = float(wm.max()) if wm.notna().any() else None
        apps = g.loc[mask, "app_function"].dropna() if "app_function" in g else pd.Series([], dtype="string")
        caller = str(apps.mode().iloc[0]) if len(apps) else None
        subject = f"{pool_name} ({caller})" if caller else pool_name
        article = "an" if pool_name.startswith(("HTTP", "a", "e", "i", "o", "u")) else "a"
        pool_txt = f"{article} {pool_name} of {pool} ({setting})" if pool else f"{article} {pool_name} ({setting})"
        evidence = (
            f"{waiting} goroutine{'s' if waiting != 1 else ''} wait for a connection from {pool_txt} "
            f"in {func}{holder_note}"
        )
        if pool_size is None and holders:
            evidence += " (pool size inferred from the connections in use)"
        if longest is not None:
            evidence += f"; the longest has waited {longest:g} min"
        critical = (pool is not None and waiting >= max(pool, 1)) or waiting >= 10 or (longest or 0) >= 1
        rec = (
            f"Size the pool from the load: Little's law needs rate × latency connections in flight"
            f", plus headroom (pool_sizing); raise {setting} or make the upstream faster, and give every "
            "request a context deadline so waiters fail fast instead of piling up."
        )
        if rate is not None and latency_ms is not None:
            need = littles_law(rate, latency_ms)
            rec = (
                f"At {rate:g} req/s × {latency_ms:g} ms, {need:.1f} connections are busy on average "
                f"(Little's law): " + rec
            )
        if site == "http_pool_wait":
            rec += (
                " Go's http.Transport keeps only MaxIdleConnsPerHost = 2 idle connections per host by "
                "default: raise it together with MaxConnsPerHost, or connections churn."
            )
        out.append(
            finding(
                _DETECTOR,
                "pool_exhaustion",
                "critical" if critical else "warning",
                subject,
                metric="goroutines_waiting_for_connection",
                value=waiting,
                threshold=None if pool is None else float(pool),
                evidence=evidence,
                recommendation=rec,
                handbook_ref=_REF,
            )
        )
    return out


def _from_events(events: pd.DataFrame) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if events is None or events.empty:
        return out
    text_cols = [c for c in ("msg", "error", "raw") if c in events.columns]
    if not text_cols:
        return out
    text = events[text_cols[0]].astype("string").fillna("")
    for c in text_cols[1:]:
        text = text + " | " + events[c].astype("string").fillna("")
    total = len(events)
    for pattern, (pool_name, setting) in POOL_LOG_PATTERNS.items():
        mask = text.str.contains(pattern, regex=True, na=False)
        n = int(mask.sum())
        if n == 0:
            continue
        ts_start = ts_end = None
        if "ts" in events.columns:
            ts = pd.to_datetime(events.loc[mask, "ts"], utc=True, errors="coerce").dropna()
            if len(ts):
                ts_start, ts_end = ts.min(), ts.max()
        services = (
            events.loc[mask, "service"].dropna().astype(str).unique().tolist() if "service" in events.columns else []
        )
        where = f" in {', '.join(sorted(services)[:3])}" if services else ""
        example = " | ".join(p for p in str(text[mask].iloc[0]).split(" | ") if p.strip())[:160]
        share = n / total
        severity = "critical" if n >= 10 or share >= 0.01 else "warning"
        out.append(
            finding(
                _DETECTOR,
                "pool_exhaustion",
                severity,
                f"{pool_name}{where}",
                metric="pool_wait_errors",
                value=n,
                threshold=0.0,
                ts_start=ts_start,
                ts_end=ts_end,
                evidence=(
                    f"{n} log line{'s' if n != 1 else ''} ({share:.1%} of {total}){where}: requests gave up "
                    f"waiting for a connection from the {pool_name}, e.g. {example!r}"
                ),
                recommendation=(
                    f"The pool is smaller than the load needs: check {setting} against Little's law "
                    "(rate × latency), look for connections held too long (unclosed response bodies, "
                    "long transactions), and take a goroutine dump (debug=2) while it happens."
                ),
                handbook_ref=_REF,
            )
        )
    return out


def _sweep_from_probes(probes: pd.DataFrame) -> pd.DataFrame | None:
    if {"concurrency", "p50_ms", "throughput_rps"} <= set(probes.columns):
        return probes
    return None


def _from_probes(probes: pd.DataFrame, pool_size: int | None) -> list[dict[str, Any]]:
    sweep = _sweep_from_probes(probes) if probes is not None and not probes.empty else None
    if sweep is None:
        return []
    knee = find_knee(sweep)
    if knee is None:
        return []
    s = sweep.sort_values("concurrency")
    at = s[s["concurrency"] == knee].iloc[0]
    last = s.iloc[-1]
    target = str(s["target"].dropna().iloc[0]) if "target" in s and s["target"].notna().any() else "upstream"
    evidence = (
        f"throughput stops growing at concurrency {knee} ({at['throughput_rps']:.1f} req/s); "
        f"at {int(last['concurrency'])} in flight p50 is {last['p50_ms']:.0f} ms vs {at['p50_ms']:.0f} ms "
        f"at the knee: requests queue for one of about {knee} slots"
    )
    if pool_size is not None:
        evidence += f" (configured pool: {pool_size})"
    return [
        finding(
            _DETECTOR,
            "pool_exhaustion",
            "warning",
            target,
            metric="concurrency_knee",
            value=knee,
            threshold=None if pool_size is None else float(pool_size),
            evidence=evidence,
            recommendation=(
                f"Past {knee} concurrent requests extra load only adds waiting (Little's law: latency "
                "grows linearly with concurrency). Keep the client's pool (MaxConnsPerHost) near the knee "
                "and shed or queue load above it, or raise the upstream's capacity."
            ),
            handbook_ref=_REF,
        )
    ]


def _from_rate(pool_size: int | None, rate: float | None, latency_ms: float | None) -> list[dict[str, Any]]:
    if pool_size is None or rate is None or latency_ms is None:
        return []
    need = littles_law(rate, latency_ms)
    usage = need / pool_size
    if usage < 0.8:
        return []
    sizing = pool_sizing(rate, latency_ms)
    rec = sizing.attrs["recommended"]
    return [
        finding(
            _DETECTOR,
            "pool_exhaustion",
            "critical" if usage >= 1.0 else "warning",
            f"pool of {pool_size}",
            metric="pool_usage",
            value=usage,
            threshold=0.8,
            evidence=(
                f"{rate:g} req/s × {latency_ms:g} ms keeps {need:.1f} connections busy on average "
                f"(Little's law): {usage:.0%} of a pool of {pool_size}"
                + (" — requests must queue" if usage >= 1.0 else " — above the handbook's 80 % limit")
            ),
            recommendation=(
                f"Raise the pool to about {rec} (Erlang C: mean wait ≤ 10 % of latency at ≤ 80 % "
                "utilisation) or cut the latency per request."
                if rec
                else "Raise the pool size or cut the latency per request."
            ),
            handbook_ref=_REF,
        )
    ]


def detect_pool_exhaustion(
    *,
    goroutines: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    probes: pd.DataFrame | None = None,
    pool_size: int | None = None,
    rate: float | None = None,
    latency_ms: float | None = None,
) -> pd.DataFrame:
    """Findings (fault ``pool_exhaustion``, handbook §2.5) from whatever evidence is at hand.

    Parameters
    ----------
    goroutines : pandas.DataFrame, optional
        A goroutine dump table (:func:`~apiprobe.load.goroutines.read_goroutines`):
        goroutines in ``http_pool_wait`` / ``sql_pool_wait`` / ``pool_wait``
        are compared with ``pool_size`` or, when it is not given, with the
        goroutines that hold a connection (HTTP: ``net/http.(*persistConn).roundTrip``;
        database/sql: a driver call in ``(*DB).queryDC`` / ``execDC`` or ``(*Rows).Next``).
    events : pandas.DataFrame, optional
        Log events with a ``msg`` and/or ``error`` column; lines matching
        :data:`POOL_LOG_PATTERNS` are counted.
    probes : pandas.DataFrame, optional
        A concurrency sweep (:func:`~apiprobe.probe.concurrency.probe_concurrency`);
        a knee means requests queue for a limited number of slots.
    pool_size : int, optional
        The configured pool size (MaxConnsPerHost, SetMaxOpenConns, PoolSize).
    rate, latency_ms : float, optional
        Peak request rate (per second) and mean latency (ms): with ``pool_size``,
        checks pool usage by Little's law against the handbook's 80 %.

    Returns
    -------
    pandas.DataFrame
        Schema ``findings``: ``detector, fault, severity, subject, ts_start, ts_end, metric,
        value, threshold, evidence, recommendation, handbook_ref``, most severe first.
    """
    rows: list[dict[str, Any]] = []
    if goroutines is not None:
        rows += _from_goroutines(goroutines, pool_size, rate, latency_ms)
    if events is not None:
        rows += _from_events(events)
    if probes is not None:
        rows += _from_probes(probes, pool_size)
    rows += _from_rate(pool_size, rate, latency_ms)
    return findings_frame(rows)
