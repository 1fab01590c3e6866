"""Run every detector that applies to a folder's evidence, with the parameters the per-type notebooks use.

Each finding is tagged with the kind of evidence it came from (``source``), its
files and the services it is about. A detector that fails on this evidence is
a note, not a failed triage.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from apiprobe.analyze._findings import findings_frame
from apiprobe.analyze._profile_faults import detect_profile_faults
from apiprobe.analyze.dns import detect_dns_faults
from apiprobe.analyze.error_kinds import detect_error_faults
from apiprobe.analyze.gojson import audit_struct_tags, guess_request_struct, simulate_unmarshal
from apiprobe.analyze.gotrace import detect_trace_faults
from apiprobe.analyze.latency import detect_latency_faults
from apiprobe.analyze.metrics import detect_metric_faults, golden_signals, slo_from_samples
from apiprobe.analyze.pool import detect_pool_exhaustion
from apiprobe.analyze.resilience import (
    BreakerReplay,
    breaker_from_logs,
    detect_resilience_faults,
    detect_timeout_faults,
)
from apiprobe.analyze.status import detect_status_misuse
from apiprobe.analyze.tls import detect_tls_faults, diagnose_chain
from apiprobe.analyze.traces import detect_span_faults
from apiprobe.analyze.triage import Window, mentioned_services
from apiprobe.errors import ApiprobeError
from apiprobe.load.evidence import Evidence, shown_path

__all__ = ["DetectorRun", "run_detectors"]


class DetectorRun:
    """The findings of every detector run, tagged, and what could not run.

    Attributes
    ----------
    findings : pandas.DataFrame
        Schema ``findings`` plus ``source``, ``files`` (relative to the folder, as in the
        inventory) and ``services``.
    notes : list of str
        Detectors that failed on this evidence, with the reason.
    signals, burn : pandas.DataFrame or None
        The golden signals and SLO burn of the metrics, for the timeline.
    breakers : pandas.DataFrame or None
        Breaker state changes seen in the logs, for the timeline.
    slo_service : str
        The service whose SLO was checked.
    """

    def __init__(self, root: Path | None = None) -> None:
        self.root = root
        self.parts: list[pd.DataFrame] = []
        self.notes: list[str] = []
        self.signals: pd.DataFrame | None = None
        self.burn: pd.DataFrame | None = None
        self.breakers: pd.DataFrame | None = None
        self.slo_service = ""

    def add(
        self,
        name: str,
        source: str,
        files: Sequence[Path],
        call: Callable[[], pd.DataFrame],
        *,
        services: str | None = None,
        files_of: Callable[[str], list[Path]] | None = None,
    ) -> None:
        """Run one detector; tag its findings (``files_of`` narrows the files per finding), or note why it failed."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                found = call()
        except Exception as exc:  # one detector failing on odd evidence must not sink the triage: a note says so
            what = str(exc) if isinstance(exc, ApiprobeError) else f"{type(exc).__name__}: {exc}"
            self.notes.append(f"{name} could not run on {', '.join(f.name for f in files) or source}: {what}")
            return
        if found is None or found.empty:
            return
        if files_of is None:
            tags = [", ".join(self._name(f) for f in files)] * len(found)
        else:
            text = found["subject"].astype(str) + " " + found["evidence"].astype(str)
            tags = [", ".join(self._name(f) for f in files_of(t)) for t in text]
        self.parts.append(found.assign(source=source, files=tags, services=services))

    def _name(self, f: Path) -> str:
        """A file as the inventory names it: relative to the folder triaged."""
        if self.root is not None and self.root.is_dir() and f.is_relative_to(self.root):
            return shown_path(str(f.relative_to(self.root)))
        return shown_path(str(f))

    @property
    def findings(self) -> pd.DataFrame:
        """Every finding, most severe first (schema ``findings`` plus the tags)."""
        if not self.parts:
            return findings_frame([]).assign(source=pd.Series(dtype="string"), files="", services="")
        tagged = pd.concat(self.parts, ignore_index=True)
        out = findings_frame([{str(k): v for k, v in r.items()} for r in tagged.to_dict("records")])
        return out.astype({"source": "string", "files": "string", "services": "string"})


def _log_files_for(ev: Evidence, text: str) -> list[Path]:
    """The log files of the services a finding names (all log files when it names none)."""
    inv = ev.inventory
    logs = inv[(inv["kind"] == "logs") & inv["usable"].fillna(False).astype(bool)]
    named = mentioned_services(text, ev.services)
    hit = [p for p, s in zip(logs["path"], logs["services"].fillna(""), strict=True) if set(named) & set(s.split(", "))]
    return [ev.root / p for p in hit] if hit else [ev.root / p for p in logs["path"]]


def _logs(run: DetectorRun, ev: Evidence, incident: Window | None, baseline: Window | None) -> None:
    events = ev.events
    if events is None or events.empty:
        return
    files = ev.files("logs")

    def files_of(text: str) -> list[Path]:
        return _log_files_for(ev, text)

    # One evidence store and nothing else: the detector counts every line in the store (DuckDB), not only
    # the lines read into memory.
    only_store = len(ev.stores) == 1 and all(f in ev.stores for f in ev.files("logs"))
    error_source: Any = str(ev.stores[0]) if only_store else events
    run.add(
        "detect_error_faults",
        "logs",
        files,
        lambda: detect_error_faults(error_source, incident=incident, baseline=baseline),
        files_of=files_of,
    )
    run.add("detect_status_misuse", "logs", files, lambda: detect_status_misuse(events), files_of=files_of)
    run.add("detect_pool_exhaustion", "logs", files, lambda: detect_pool_exhaustion(events=events), files_of=files_of)
    try:
        breaker: BreakerReplay | None = breaker_from_logs(events)
    except (ApiprobeError, ValueError, KeyError):
        breaker = None
    run.breakers = None if breaker is None else breaker.transitions
    run.add(
        "detect_resilience_faults",
        "logs",
        files,
        lambda: detect_resilience_faults(events=events, breaker=breaker),
        files_of=files_of,
    )
    run.add(
        "detect_span_faults",
        "traces" if ev.spans is not None else "logs",
        files + ev.files("traces"),
        lambda: detect_span_faults(ev.spans, events),
    )


def _traces(run: DetectorRun, ev: Evidence) -> None:
    spans = ev.spans
    if spans is None or spans.empty:
        return
    if ev.events is None:  # with logs, detect_span_faults already ran on both
        run.add("detect_span_faults", "traces", ev.files("traces"), lambda: detect_span_faults(spans, None))
    run.add("detect_resilience_faults", "traces", ev.files("traces"), lambda: detect_resilience_faults(spans=spans))


def _declared(run: DetectorRun, ev: Evidence) -> None:
    """The declared call graph's timeout budget (notebook 10's timeouts_path)."""
    timeouts = ev.timeouts
    if timeouts is not None and len(timeouts):
        run.add(
            "detect_timeout_faults", "timeouts", ev.files("timeouts"), partial(detect_timeout_faults, calls=timeouts)
        )


def _file_services(ev: Evidence, f: Path) -> str | None:
    rel = str(f.relative_to(ev.root)) if ev.root.is_dir() else f.name
    hit = ev.inventory.loc[ev.inventory["path"] == rel, "services"]
    return None if hit.empty or pd.isna(hit.iloc[0]) else str(hit.iloc[0])


def _snapshots(run: DetectorRun, ev: Evidence, incident: Window | None) -> None:
    for f, g in ev.goroutines.items():
        run.add(
            "detect_pool_exhaustion",
            "goroutines",
            [f],
            partial(detect_pool_exhaustion, goroutines=g),
            services=_file_services(ev, f),
        )
    for f, prof in ev.profiles.items():
        run.add(
            "detect_profile_faults",
            "pprof",
            [f],
            partial(detect_profile_faults, prof, subject=f"CPU profile {f.name}"),
            services=_file_services(ev, f),
        )
    for f, tr in ev.gotraces.items():
        run.add(
            "detect_trace_faults",
            "gotrace",
            [f],
            partial(detect_trace_faults, tr, subject=f"execution trace {f.name}"),
            services=_file_services(ev, f),
        )
    at = incident[0] if incident is not None else None
    for f in ev.certs:
        run.add(
            "detect_tls_faults",
            "certs",
            [f],
            partial(_chain_findings, f, at),
            services=_file_services(ev, f),
        )


def _metrics(run: DetectorRun, ev: Evidence, baseline: Window | None, service: str, objective: float) -> None:
    for f, samples in ev.metrics.items():
        if samples.empty:
            continue
        try:
            signals = golden_signals(samples, window="5m")
        except (ApiprobeError, ValueError, KeyError) as exc:
            run.notes.append(f"golden_signals could not run on {f.name}: {exc}")
            continue
        run.signals = signals if run.signals is None else pd.concat([run.signals, signals], ignore_index=True)
        run.add(
            "detect_metric_faults",
            "metrics",
            [f],
            partial(detect_metric_faults, samples, window="5m", signals=signals, baseline=baseline),
        )
        slo = service or _edge_service(signals)
        run.slo_service = run.slo_service or slo
        try:
            burn, _budget, alerts = slo_from_samples(samples, objective=objective, service=slo)
        except (ApiprobeError, ValueError, KeyError) as exc:
            run.notes.append(f"the SLO of {slo or 'all traffic'} could not be computed from {f.name}: {exc}")
            continue
        run.burn = burn if run.burn is None else pd.concat([run.burn, burn], ignore_index=True)
        run.add("slo_alerts", "metrics", [f], alerts.copy, services=slo or None)


def _edge_service(signals: pd.DataFrame) -> str:
    """The service with the most requests: the one users call, most likely."""
    rate = signals[signals["signal"] == "rate"]
    if rate.empty:
        return ""
    return str(rate.groupby("service")["value"].mean().idxmax())


def _tables(run: DetectorRun, ev: Evidence) -> None:
    har, probes, dns = ev.har, ev.probes, ev.dns
    if har is not None and len(har):
        run.add("detect_status_misuse", "har", ev.files("har"), partial(detect_status_misuse, har))
        run.add("detect_latency_faults", "har", ev.files("har"), partial(detect_latency_faults, har, by="host"))
    if probes is not None and len(probes):
        run.add("detect_latency_faults", "probes", ev.files("probes"), partial(detect_latency_faults, probes))
    if dns is not None and len(dns):
        rc = next(iter(ev.resolv_confs.values()), None)
        run.add("detect_dns_faults", "dns", ev.files("dns"), partial(detect_dns_faults, dns, resolv_conf=rc))
    payloads = [p for bodies in ev.payloads.values() for p in bodies]
    for f, source in ev.go_sources.items():
        run.add("audit_struct_tags", "go_source", [f], partial(audit_struct_tags, source))
        struct = guess_request_struct(source, payloads)
        if struct and payloads:
            run.add(
                "simulate_unmarshal",
                "payloads",
                [f, *ev.payloads],
                partial(_unmarshal_findings, source, struct, payloads),
            )


def _chain_findings(path: Path, at: pd.Timestamp | None) -> pd.DataFrame:
    """TLS findings of a pasted chain: a property of the file, not an event, so they carry no time."""
    found = detect_tls_faults([diagnose_chain(path, None, at=at, target=path.name)])
    found["ts_start"] = found["ts_end"] = pd.Series(pd.NaT, index=found.index, dtype="datetime64[ns, UTC]")
    return found


def _unmarshal_findings(source: str, struct: str, payloads: list[str]) -> pd.DataFrame:
    frames = [simulate_unmarshal(source, struct, p).findings for p in payloads]
    rows = pd.concat([f for f in frames if not f.empty], ignore_index=True) if any(len(f) for f in frames) else None
    if rows is None:
        return findings_frame([])
    unique = rows.drop_duplicates(subset=["fault", "subject", "metric", "evidence"])
    return findings_frame([{str(k): v for k, v in r.items()} for r in unique.to_dict("records")])


def run_detectors(
    ev: Evidence,
    *,
    incident: Window | None,
    baseline: Window | None,
    service: str = "",
    objective: float = 0.999,
) -> DetectorRun:
    """Every detector that applies to ``ev``.

    Parameters
    ----------
    ev : Evidence
        What :func:`apiprobe.load.evidence.read_evidence` read.
    incident, baseline : pair of pandas.Timestamp, optional
        The windows the log comparisons use.
    service : str, optional
        The service whose SLO is checked; default: the one with the most requests.
    objective : float, default 0.999
        The SLO.

    Returns
    -------
    DetectorRun
    """
    run = DetectorRun(ev.root)
    _logs(run, ev, incident, baseline)
    _traces(run, ev)
    _declared(run, ev)
    _snapshots(run, ev, incident)
    _metrics(run, ev, baseline, service, objective)
    _tables(run, ev)
    return run
