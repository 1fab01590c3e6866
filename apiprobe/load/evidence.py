"""A folder of mixed evidence → an inventory (one row per file) and every table apiprobe can make of it.

Each file is recognised by its content (:func:`apiprobe.load._sniff.sniff_file`),
not by its name, and read by the loader of its kind. Nothing is skipped
silently: a file that is not evidence, is broken, or fails to load keeps its
row in the inventory with ``usable=False`` and the reason.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from apiprobe.errors import ApiprobeError, DataFormatError
from apiprobe.load._sniff import Sniffed, sniff_file
from apiprobe.load.certs import read_certificates
from apiprobe.load.event_store import (
    FOCUS_SQL,
    MANIFEST,
    arrow_events_to_pandas,
    open_events,
    read_manifest,
    store_order,
)
from apiprobe.load.goroutines import read_goroutines
from apiprobe.load.gotrace import GoTrace, read_go_trace
from apiprobe.load.har import read_har
from apiprobe.load.logs import read_logs, summarize_log_sources
from apiprobe.load.metrics import read_metrics_text
from apiprobe.load.payloads import read_payloads
from apiprobe.load.pprof import Profile, read_pprof
from apiprobe.load.resolv_conf import ResolvConf, read_resolv_conf
from apiprobe.load.tables import read_dns, read_pings, read_probes
from apiprobe.load.timeouts import read_timeouts
from apiprobe.load.traces import read_traces
from apiprobe.schema import conform

__all__ = ["Evidence", "read_evidence", "shown_path", "time_in_name"]

_STAMP = re.compile(
    r"(?P<y>20\d\d)-?(?P<mo>[01]\d)-?(?P<d>[0-3]\d)[T_ -]?(?P<h>[0-2]\d)[:-]?(?P<mi>[0-5]\d)(?:[:-]?(?P<s>[0-5]\d))?Z?"
)
_SERVICE_LABELS = ("service", "job", "app", "service_name")
_GO_TYPE = re.compile(r"(?m)^\s*type\s+\w+\s+struct\b")


def time_in_name(name: str) -> pd.Timestamp | None:
    """The UTC time written in a file name (``payments-goroutines-20260314T1006Z.txt``), if any.

    Parameters
    ----------
    name : str
        A file name.

    Returns
    -------
    pandas.Timestamp or None
        ``YYYYMMDDTHHMM[SS]`` or ``YYYY-MM-DD[T_ ]HH[:-]MM[[:-]SS]``, read as UTC.
    """
    m = _STAMP.search(name)
    if not m:
        return None
    try:
        return pd.Timestamp(
            year=int(m["y"]),
            month=int(m["mo"]),
            day=int(m["d"]),
            hour=int(m["h"]),
            minute=int(m["mi"]),
            second=int(m["s"] or 0),
            tz="UTC",
        )
    except ValueError:
        return None


@dataclass
class Evidence:
    """What :func:`read_evidence` found and read.

    Attributes
    ----------
    root : pathlib.Path
        The folder (or file) read.
    inventory : pandas.DataFrame
        Schema ``inventory``.
    events : pandas.DataFrame or None
        Every log file, merged (schema ``events``).
    spans : pandas.DataFrame or None
        Every trace file, merged (schema ``spans``).
    har : pandas.DataFrame or None
        Every HAR file's entries (``read_har``).
    goroutines, profiles, gotraces, certs, metrics, go_sources, payloads, resolv_confs : dict
        Per file: goroutine tables, :class:`Profile`, :class:`GoTrace` (execution traces),
        certificate lists, samples tables, Go source text, request bodies, :class:`ResolvConf`.
    probes, pings, dns, timeouts : pandas.DataFrame or None
        Saved probe, ping and DNS tables, and declared timeouts, merged.
    paths : dict of str to pathlib.Path
        Inventory path → the file, where the shown path differs from the name on disk
        (a name that is not valid UTF-8 is shown with U+FFFD in place of the bad bytes).
    stores : list of pathlib.Path
        Evidence stores found (:func:`apiprobe.convert_logs`). Their lines stay on disk;
        ``events`` holds only the ones analyses read one by one (errors, warn/error/fatal
        lines, requests with a status, retries) and each store's first and last line.
    """

    root: Path
    inventory: pd.DataFrame
    events: pd.DataFrame | None = None
    spans: pd.DataFrame | None = None
    har: pd.DataFrame | None = None
    goroutines: dict[Path, pd.DataFrame] = field(default_factory=dict)
    profiles: dict[Path, Profile] = field(default_factory=dict)
    gotraces: dict[Path, GoTrace] = field(default_factory=dict)
    certs: dict[Path, list[Any]] = field(default_factory=dict)
    metrics: dict[Path, pd.DataFrame] = field(default_factory=dict)
    go_sources: dict[Path, str] = field(default_factory=dict)
    payloads: dict[Path, list[str]] = field(default_factory=dict)
    resolv_confs: dict[Path, ResolvConf] = field(default_factory=dict)
    probes: pd.DataFrame | None = None
    pings: pd.DataFrame | None = None
    dns: pd.DataFrame | None = None
    timeouts: pd.DataFrame | None = None
    stores: list[Path] = field(default_factory=list)
    paths: dict[str, Path] = field(default_factory=dict)

    def files(self, kind: str) -> list[Path]:
        """The usable files of one kind, as absolute paths.

        Parameters
        ----------
        kind : str
            An evidence kind (``"logs"``, ``"goroutines"``, ...).

        Returns
        -------
        list of pathlib.Path
        """
        inv = self.inventory
        rows = inv[(inv["kind"] == kind) & inv["usable"].fillna(False).astype(bool)]
        return [self._abs(p) for p in rows["path"]]

    def _abs(self, rel: str) -> Path:
        if rel in self.paths:
            return self.paths[rel]
        return self.root / rel if self.root.is_dir() else self.root

    @property
    def services(self) -> list[str]:
        """Every service named in the inventory, sorted."""
        names = {s.strip() for v in self.inventory["services"].dropna() for s in str(v).split(",")}
        return sorted(n for n in names if n)


def _walk(root: Path) -> tuple[list[Path], dict[Path, str]]:
    """Every file under ``root`` (hidden files too), and what is listed but not read, with why.

    Hidden folders (``.git``) are not read; neither are folders that cannot be
    listed, broken links, sockets or pipes: each gets one inventory row.
    """
    if root.is_file():
        return [root], {}
    if not root.is_dir():
        raise DataFormatError(f"{root}: no such file or directory")
    files: list[Path] = []
    unread: dict[Path, str] = {}
    if (root / MANIFEST).is_file():
        return files, unread  # the folder is an evidence store: read as one

    def cannot_list(err: OSError) -> None:
        unread[Path(str(err.filename))] = f"folder cannot be read: {err.strerror or err}"

    for folder, dirs, names in os.walk(root, onerror=cannot_list):
        base = Path(folder)
        for d in [d for d in dirs if (base / d / MANIFEST).is_file()]:
            dirs.remove(d)  # an evidence store is read as one (see _stores), not file by file
        for d in [d for d in dirs if d.startswith(".")]:
            dirs.remove(d)
            count = sum(len(n) for _, _, n in os.walk(base / d))
            unread[base / d] = f"hidden folder: not read ({count} files)"
        dirs.sort()
        for name in sorted(names):
            p = base / name
            if p.is_file():
                files.append(p)
            elif p.is_symlink():
                unread[p] = "broken symbolic link"
            else:
                unread[p] = "not a regular file (a socket, pipe or device)"
    return files, unread


def shown_path(rel: str) -> str:
    """A path as text that can be shown and stored: bytes that are not UTF-8 become U+FFFD.

    Parameters
    ----------
    rel : str
        A path as the OS gave it (undecodable bytes as surrogates).

    Returns
    -------
    str
        Valid UTF-8 text.
    """
    return rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _row(rel: str, s: Sniffed, size: int) -> dict[str, Any]:
    return {
        "path": shown_path(rel),
        "kind": s.kind,
        "dialect": s.dialect,
        "what": s.what,
        "services": None,
        "ts_start": None,
        "ts_end": None,
        "rows": None,
        "bytes": size,
        # a log cut short still gives the lines before the cut (read_logs keeps them): usable, with the problem
        "usable": s.kind is not None and (s.problem is None or s.kind == "logs"),
        "reason": s.problem if s.kind is not None or s.problem else f"not evidence apiprobe reads: {s.what}",
    }


def _span(ts: pd.Series) -> tuple[Any, Any]:
    ts = ts.dropna()
    return (ts.min(), ts.max()) if len(ts) else (None, None)


def _names(values: Any) -> str | None:
    names = sorted({str(v) for v in values if isinstance(v, str) and v})
    return ", ".join(names) or None


#: What reading one file can raise besides a deliberate ApiprobeError: the OS (permissions, a name
#: that is not valid UTF-8), and parsers below the loaders (pyarrow, zlib) on bytes they cannot take.
_READ_ERRORS = (ApiprobeError, OSError, ValueError, EOFError)


def _fail(row: dict[str, Any], exc: BaseException) -> None:
    row["usable"] = False
    msg = str(exc) if isinstance(exc, ApiprobeError) else f"{type(exc).__name__}: {exc}"
    row["reason"] = msg[:500]


def _stores(root: Path) -> list[Path]:
    """The evidence stores under ``root`` (``root`` itself when it is one), outside hidden folders."""
    if root.is_file() or not root.is_dir():
        return []
    if (root / MANIFEST).is_file():
        return [root]
    found = [m.parent for m in root.rglob(MANIFEST) if m.is_file()]
    return sorted(
        p
        for p in found
        if not any(part.startswith(".") for part in p.relative_to(root).parts)
        and not any(q != p and q in p.parents for q in found)
    )


#: The lines triage reads from a store: the ones its log detectors read one by one, and requests.
_TRIAGE_SQL = f"({FOCUS_SQL}) or status is not null or route is not null"
#: And the first lines of each service, so checks made per service (trace ids in its logs) see them all.
_PER_SERVICE = 2000


def _focus_lines(store: Path) -> pd.DataFrame:
    """The store's lines triage reads: :data:`_TRIAGE_SQL` and the first :data:`_PER_SERVICE` of each service."""
    import duckdb

    con = duckdb.connect()
    open_events(store, con=con).create_view("events")
    order = store_order(store)
    sql = (
        f"select distinct on (source_file, line_no) * from ("
        f"select * from events where {_TRIAGE_SQL} union all "
        f"select * from events qualify row_number() over (partition by service order by {order}) <= {_PER_SERVICE} "
        # the first and the last timed line: the logs' span, for the incident window
        f"union all (select * from events where ts is not null order by ts asc, line_no asc limit 1) "
        f"union all (select * from events where ts is not null order by ts desc, line_no desc limit 1)"
        f") order by {order}"
    )
    try:
        return arrow_events_to_pandas(con.sql(sql).to_arrow_table())
    except duckdb.Error as exc:
        raise DataFormatError(f"{store}: DuckDB cannot read the store: {exc}") from exc


def _read_stores(ev: Evidence, rows: dict[Path, dict[str, Any]], stores: list[Path]) -> None:
    parts = [] if ev.events is None else [ev.events]
    for store in stores:
        rel = f"{store.name}/" if store == ev.root else f"{store.relative_to(ev.root)}/"
        row = _row(rel, Sniffed("logs", "evidence store"), 0)
        row["what"] = "evidence store (Parquet, convert_logs)"
        rows[store] = row
        ev.paths[row["path"]] = store
        try:
            manifest = read_manifest(store)
            rel_ = open_events(store)
            lo, hi, n = rel_.aggregate("min(ts), max(ts), count(*)").fetchall()[0]
            services = [r[0] for r in rel_.select("service").distinct().fetchall() if r[0]]
            focus = _focus_lines(store)
        except _READ_ERRORS as exc:
            _fail(row, exc)
            continue
        ev.stores.append(store)
        row.update(
            rows=int(n),
            bytes=sum(int(p.stat().st_size) for p in store.rglob("*.parquet") if p.is_file()),
            ts_start=pd.Timestamp(lo).tz_convert("UTC") if lo is not None else None,
            ts_end=pd.Timestamp(hi).tz_convert("UTC") if hi is not None else None,
            services=", ".join(sorted(services)) or None,
            what=(
                f"evidence store of {len(manifest.get('files', []))} log files: {len(focus):,} of {int(n):,} lines "
                "read (errors, warnings, requests, retries, the first of each service); the error detector counts "
                "every line in place, the other log detectors see the lines read"
            ),
        )
        parts.append(focus)
    parts = [p if p is ev.events else _as_read(p) for p in parts if p is not None and len(p)]
    if stores and len(parts) == 1:
        ev.events = parts[0].reset_index(drop=True)  # one store: already in read_logs order
    elif stores and parts:  # equal times across sources: ordered by path
        merged = pd.concat(parts, ignore_index=True)
        ev.events = merged.sort_values(["ts", "source_file", "line_no"], kind="stable", na_position="last").reset_index(
            drop=True
        )


def _as_read(events: pd.DataFrame) -> pd.DataFrame:
    """A store's lines as :func:`read_logs` gives them: ``error_kind`` only where the line itself said so.

    The store keeps the classification made while converting; the detectors
    classify again, as they do for files read here.
    """
    rule = events["error_rule"].astype("string")
    explicit = rule.str.startswith("error_kind").fillna(False).to_numpy(dtype=bool)
    out = events.drop(columns=["error_layer", "retryable", "error_rule"])
    out["error_kind"] = out["error_kind"].where(explicit)
    return out


def _read_logs(ev: Evidence, rows: dict[Path, dict[str, Any]], files: list[Path]) -> None:
    if not files:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the inventory tells what the warnings would
        try:
            ev.events = read_logs(files)
        except _READ_ERRORS:  # one bad file: read them one by one, and say which
            parts = []
            for f in files:
                try:
                    parts.append(read_logs(f))
                except _READ_ERRORS as exc:
                    _fail(rows[f], exc)
            ev.events = pd.concat(parts, ignore_index=True).sort_values("ts", kind="stable") if parts else None
    if ev.events is None:
        return
    by_file = {str(f): f for f in files} | {f.name: f for f in files}
    sources = summarize_log_sources(ev.events)
    for rec in sources.to_dict("records"):
        hit = by_file.get(str(rec["source_file"])) or by_file.get(Path(str(rec["source_file"])).name)
        if hit is None:
            continue
        r = rows[hit]
        r["dialect"] = rec["dialect"]
        r["rows"] = int(rec["lines"])
        if rec.get("unparsed"):
            r["reason"] = f"{int(rec['unparsed']):,} of {int(rec['lines']):,} lines did not parse (kept as raw rows)"
    # one aggregation over a frame without attrs: a groupby's slices would each deep-copy the attrs
    plain = pd.DataFrame({"file": ev.events["source_file"], "ts": ev.events["ts"], "service": ev.events["service"]})
    spans = plain.groupby("file", sort=False).agg(
        ts_start=("ts", "min"), ts_end=("ts", "max"), services=("service", lambda s: _names(s.dropna().unique()))
    )
    for name, first, last, names in spans.itertuples():
        hit = by_file.get(str(name)) or by_file.get(Path(str(name)).name)
        if hit is None:
            continue
        rows[hit]["ts_start"], rows[hit]["ts_end"], rows[hit]["services"] = first, last, names


def _read_traces(ev: Evidence, rows: dict[Path, dict[str, Any]], files: list[Path]) -> None:
    if not files:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parts = []
        for f in files:
            try:
                parts.append(read_traces(f))
            except _READ_ERRORS as exc:
                _fail(rows[f], exc)
                continue
            spans = parts[-1]
            rows[f]["rows"] = len(spans)
            rows[f]["ts_start"], rows[f]["ts_end"] = _span(spans["start"])
            rows[f]["services"] = _names(spans["service"].dropna().unique())
    if parts:
        ev.spans = pd.concat(parts, ignore_index=True)


def _one(kind: str, f: Path, row: dict[str, Any], ev: Evidence) -> None:
    """Read one file of ``kind`` into ``ev`` and describe it in ``row``."""
    if kind == "har":
        har = read_har(f)
        row["rows"] = len(har)
        row["ts_start"], row["ts_end"] = _span(har["ts"])
        row["services"] = _names(har["host"].dropna().unique())
        ev.har = har if ev.har is None else pd.concat([ev.har, har], ignore_index=True)
    elif kind == "goroutines":
        g = read_goroutines(f)
        ev.goroutines[f] = g
        row["rows"] = len(g)
        row["ts_start"] = row["ts_end"] = time_in_name(f.name)
    elif kind == "pprof":
        p = read_pprof(f)
        ev.profiles[f] = p
        row["rows"] = int(p.n_samples)
        binary = Path(str(p.mappings[0].get("filename") or "")).name if p.mappings else ""
        if binary and not binary.startswith("[") and ".so" not in binary:
            row["services"] = binary  # the program the profile was taken of: /app/payments
        if p.time_ns:
            start = pd.Timestamp(p.time_ns, unit="ns", tz="UTC")
            row["ts_start"], row["ts_end"] = start, start + pd.Timedelta(p.duration_ns or 0, unit="ns")
        else:
            row["ts_start"] = row["ts_end"] = time_in_name(f.name)
    elif kind == "gotrace":
        tr = read_go_trace(f)
        ev.gotraces[f] = tr
        row["rows"] = len(tr.arrays["ts"])
        if tr.wall_start is not None:
            row["ts_start"] = tr.wall_start
            row["ts_end"] = tr.wall_start + pd.Timedelta(tr.duration_ns, unit="ns")
        else:
            row["ts_start"] = row["ts_end"] = time_in_name(f.name)
        if tr.notes:
            row["reason"] = "; ".join(tr.notes)
    elif kind == "certs":
        certs = read_certificates(f)
        ev.certs[f] = certs
        row["rows"] = len(certs)
    elif kind == "metrics":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = read_metrics_text(f)
        ev.metrics[f] = m
        row["rows"] = len(m)
        row["ts_start"], row["ts_end"] = _span(m["ts"])
        labels = [c for c in _SERVICE_LABELS if c in m.columns]
        row["services"] = _names(m[labels[0]].dropna().unique()) if labels else None
        bad = m.attrs.get("parse_errors") or len(m.attrs.get("bad_lines", []) or [])
        if bad:
            row["reason"] = f"{bad:,} malformed lines kept aside"
    elif kind in ("probes", "pings", "dns"):
        reader: Callable[[Path], pd.DataFrame] = {"probes": read_probes, "pings": read_pings, "dns": read_dns}[kind]
        t = reader(f)
        row["rows"] = len(t)
        row["ts_start"], row["ts_end"] = _span(t["ts"])
        prev = getattr(ev, kind)
        setattr(ev, kind, t if prev is None else pd.concat([prev, t], ignore_index=True))
    elif kind == "go_source":
        try:
            text = f.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DataFormatError(f"{f}: cannot read Go source: {exc}") from exc
        ev.go_sources[f] = text
        row["rows"] = len(_GO_TYPE.findall(text))
    elif kind == "payloads":
        bodies = read_payloads(f)
        ev.payloads[f] = bodies
        row["rows"] = len(bodies)
    elif kind == "timeouts":
        t = read_timeouts(f)
        row["rows"] = len(t)
        names = [*t.get("caller", pd.Series(dtype=str)).tolist(), *t.get("callee", pd.Series(dtype=str)).tolist()]
        row["services"] = _names(names)
        ev.timeouts = t if ev.timeouts is None else pd.concat([ev.timeouts, t], ignore_index=True)
    elif kind == "resolv_conf":
        ev.resolv_confs[f] = read_resolv_conf(f)
        row["rows"] = 1


def _name_services(inv: pd.DataFrame, known: list[str]) -> None:
    """Files that name no service (dumps, profiles, certificates): the known services in their path."""
    for i in inv.index[
        inv["services"].isna() & inv["kind"].isin(["goroutines", "pprof", "gotrace", "certs", "go_source"])
    ]:
        tokens = set(re.split(r"[^A-Za-z0-9]+", str(inv.at[i, "path"]).lower()))
        hits = [s for s in known if s.lower() in tokens]
        if hits:
            inv.at[i, "services"] = ", ".join(hits)


def read_evidence(path: str | os.PathLike[str], *, progress: bool = False) -> Evidence:
    """Recognise and read every file under ``path`` (recursively, ``.gz`` too).

    Hidden files are read like any other; hidden folders (``.git``) get one
    inventory row each, not read. Rows are sorted by path.

    Parameters
    ----------
    path : str or path-like
        A folder of evidence (or one file).
    progress : bool, default False
        Show a progress bar over the files.

    Returns
    -------
    Evidence
        The inventory and the tables.

    Raises
    ------
    DataFormatError
        When ``path`` does not exist or holds no file at all.
    """
    root = Path(path)
    files, unread = _walk(root)
    stores = _stores(root)
    if not files and not unread and not stores:
        raise DataFormatError(f"{root}: the folder is empty: put the incident's evidence in it (logs, dumps, ...)")
    rows: dict[Path, dict[str, Any]] = {}
    for p, why in unread.items():  # listed, not read: a .git, a broken link, a folder nobody may list
        folder = p.is_dir() and not p.is_symlink()
        rel = f"{p.relative_to(root)}/" if folder else str(p.relative_to(root))
        rows[p] = _row(rel, Sniffed(None, "a folder" if folder else "not a file"), 0)
        rows[p]["reason"] = why
    by_kind: dict[str, list[Path]] = {}
    iterator: Any = files
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(files, desc="evidence", unit="file")
    for f in iterator:
        rel = f.name if root.is_file() else str(f.relative_to(root))
        try:
            s = sniff_file(f)
        except OSError as exc:
            rows[f] = _row(rel, Sniffed(None, "unreadable"), 0)
            _fail(rows[f], exc)
            continue
        rows[f] = _row(rel, s, f.stat().st_size)
        if rows[f]["usable"]:
            by_kind.setdefault(str(s.kind), []).append(f)
    ev = Evidence(root=root, inventory=conform(None, "inventory"))
    ev.paths = {row["path"]: f for f, row in rows.items()}
    _read_logs(ev, rows, by_kind.get("logs", []))
    _read_stores(ev, rows, stores)
    _read_traces(ev, rows, by_kind.get("traces", []))
    for kind, kind_files in by_kind.items():
        if kind in ("logs", "traces"):
            continue
        for f in kind_files:
            try:
                _one(kind, f, rows[f], ev)
            except _READ_ERRORS as exc:
                _fail(rows[f], exc)
    inv = conform(sorted(rows.values(), key=lambda r: str(r["path"])), "inventory")
    known = sorted({s.strip() for v in inv["services"].dropna() for s in str(v).split(",") if s.strip()})
    _name_services(inv, known)
    ev.inventory = inv
    return ev
