"""Which per-type notebook looks deeper into each hypothesis, on which files, with which parameters."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from apiprobe._time import iso_utc
from apiprobe.analyze.gojson import guess_request_struct
from apiprobe.analyze.triage import NotebookLink, Window
from apiprobe.load.evidence import Evidence

__all__ = ["NOTEBOOK_TITLES", "link_notebooks"]

#: The suite's notebooks, by name, with what each is about.
NOTEBOOK_TITLES: dict[str, str] = {
    "01_latency_timeouts": "Latency & timeouts",
    "02_tls_certificates": "TLS chains",
    "03_dns": "DNS",
    "04_serialization": "Request bodies",
    "05_status_codes": "Status codes",
    "06_pool_exhaustion": "Pool exhaustion",
    "07_profiles": "Profiles",
    "08_tracing": "Tracing",
    "09_logs_errors": "Logs & errors",
    "10_resilience": "Resilience",
    "11_metrics_slo": "Metrics & SLOs",
    "12_execution_trace": "Execution trace",
}

#: When the rule's notebook has nothing to read, the notebook of the hypothesis' strongest evidence.
_BY_SOURCE = {
    "goroutines": "06_pool_exhaustion",
    "metrics": "11_metrics_slo",
    "logs": "09_logs_errors",
    "traces": "08_tracing",
    "pprof": "07_profiles",
    "gotrace": "12_execution_trace",
    "har": "05_status_codes",
    "certs": "02_tls_certificates",
    "probes": "01_latency_timeouts",
    "dns": "03_dns",
    "go_source": "04_serialization",
    "payloads": "04_serialization",
    "timeouts": "10_resilience",
}


def _folder(files: list[Path], root: Path) -> str:
    """One path that reads exactly these files' kind: the file, or the folder holding them all."""
    if not files:
        return ""
    if len(files) == 1:
        return str(files[0])
    common = Path(os.path.commonpath([str(f) for f in files]))
    return str(common if common.is_dir() else root)


def _pool_dump(ev: Evidence, hyp: pd.Series | None) -> Path | None:
    """The goroutine dump behind a pool hypothesis: one of its files, else one of its service's dumps."""
    dumps = ev.files("goroutines")
    if hyp is None or not dumps:
        return None
    shown = {path: f for path, f in ev.paths.items() if f in dumps}  # inventory path -> file
    files = {f.strip() for f in str(hyp["files"] or "").split(",")}
    named = [f for path, f in shown.items() if path in files]
    if named:
        return named[0]
    service = str(hyp["service"] or "")
    services = ev.inventory.set_index("path")["services"].fillna("")
    mine = [f for path, f in shown.items() if service and service in str(services.get(path, "")).split(", ")]
    return max(mine, key=lambda d: len(ev.goroutines.get(d, ()))) if mine else None


def _parameters(
    ev: Evidence, incident: Window | None, baseline: Window | None, slo_service: str, objective: float
) -> dict[str, Callable[[pd.Series | None], dict[str, Any] | None]]:
    """Notebook → a function of the hypothesis giving its parameters, or None when it has nothing to read."""
    logs = _folder(ev.files("logs"), ev.root)
    traces = _folder(ev.files("traces"), ev.root)
    win = {
        "incident_start": iso_utc(incident[0]) if incident else "",
        "incident_end": iso_utc(incident[1]) if incident else "",
        "baseline_start": iso_utc(baseline[0]) if baseline else "",
        "baseline_end": iso_utc(baseline[1]) if baseline else "",
    }

    def logs_nb(_: pd.Series | None) -> dict[str, Any] | None:
        return {"logs_path": logs, **win} if logs else None

    def pool(h: pd.Series | None) -> dict[str, Any] | None:
        dump = _pool_dump(ev, h)
        if dump is None and not logs:
            return None
        return {"dump_path": str(dump or ""), "logs_path": logs}

    def tracing(_: pd.Series | None) -> dict[str, Any] | None:
        return {"traces_path": traces, "logs_path": logs} if traces else None

    def resilience(_: pd.Series | None) -> dict[str, Any] | None:
        timeouts = ev.files("timeouts")
        if not (logs or traces or timeouts):
            return None
        return {"logs_path": logs, "traces_path": traces, "timeouts_path": str(timeouts[0]) if timeouts else ""}

    def metrics(_: pd.Series | None) -> dict[str, Any] | None:
        files = ev.files("metrics")
        return {"metrics_path": str(files[0]), "service": slo_service, "objective": objective} if files else None

    def status(_: pd.Series | None) -> dict[str, Any] | None:
        har = ev.files("har")
        if not (logs or har):
            return None
        return {"logs_path": logs, "har_path": str(har[0]) if har else ""}

    def profiles(_: pd.Series | None) -> dict[str, Any] | None:
        files = ev.files("pprof")
        return {"profile_path": str(files[0])} if files else None

    def exectrace(_: pd.Series | None) -> dict[str, Any] | None:
        files = ev.files("gotrace")
        return {"trace_path": str(files[0])} if files else None

    def tls(_: pd.Series | None) -> dict[str, Any] | None:
        files = ev.files("certs")
        if not files:
            return None
        return {"pem_paths": [str(f) for f in files], "at": iso_utc(incident[0]) if incident else ""}

    def serialization(_: pd.Series | None) -> dict[str, Any] | None:
        src, bodies = ev.files("go_source"), ev.files("payloads")
        if not src:
            return None
        payloads = [p for f in bodies for p in ev.payloads.get(f, [])]
        struct = guess_request_struct(ev.go_sources.get(src[0], ""), payloads)
        return {
            "go_source_path": str(src[0]),
            "struct_name": struct,
            "payloads_path": str(bodies[0]) if bodies else "",
        }

    def latency(_: pd.Series | None) -> dict[str, Any] | None:
        files = ev.files("probes")
        return {"probes_path": str(files[0])} if files else None

    def dns(_: pd.Series | None) -> dict[str, Any] | None:
        files = ev.files("dns")
        return {"dns_path": str(files[0]), "resolv_conf": ""} if files else None

    return {
        "09_logs_errors": logs_nb,
        "06_pool_exhaustion": pool,
        "08_tracing": tracing,
        "10_resilience": resilience,
        "11_metrics_slo": metrics,
        "05_status_codes": status,
        "07_profiles": profiles,
        "12_execution_trace": exectrace,
        "02_tls_certificates": tls,
        "04_serialization": serialization,
        "01_latency_timeouts": latency,
        "03_dns": dns,
    }


def link_notebooks(
    hypotheses: pd.DataFrame,
    ev: Evidence,
    *,
    incident: Window | None,
    baseline: Window | None,
    slo_service: str = "",
    objective: float = 0.999,
) -> tuple[pd.DataFrame, list[NotebookLink]]:
    """Fill each hypothesis' ``notebook`` and ``parameters``, and list the runs a report should make.

    A hypothesis gets its rule's notebook when that notebook has files to read,
    else the notebook of its strongest kind of evidence. The runs are one per
    notebook, in the order of the best-ranked hypothesis that needs it; the
    hypotheses that are unrelated to the incident still get their link, last.

    Parameters
    ----------
    hypotheses : pandas.DataFrame
        Schema ``hypotheses``.
    ev : Evidence
        The folder's evidence.
    incident, baseline : pair of pandas.Timestamp, optional
        The windows, passed to the notebooks that compare windows.
    slo_service : str, optional
        The service whose SLO the metrics notebook checks.
    objective : float, default 0.999
        That SLO.

    Returns
    -------
    tuple
        The hypotheses with ``notebook`` and ``parameters`` filled in, and the runs.
    """
    makers = _parameters(ev, incident, baseline, slo_service, objective)
    hyps = hypotheses.copy()
    runs: dict[str, tuple[dict[str, Any], list[int]]] = {}
    for i, row in hyps.iterrows():
        candidates = [str(row["notebook"])] + [
            _BY_SOURCE[s.strip()] for s in str(row["sources"] or "").split(",") if s.strip() in _BY_SOURCE
        ]
        for nb in candidates:
            params = makers[nb](row) if nb in makers else None
            if params is not None:
                hyps.at[i, "notebook"] = nb
                hyps.at[i, "parameters"] = json.dumps(params, sort_keys=True)
                runs.setdefault(nb, (params, []))[1].append(int(row["rank"]))
                break
        else:
            hyps.at[i, "notebook"] = pd.NA
            hyps.at[i, "parameters"] = pd.NA
    links = [
        NotebookLink(
            name=f"{nb}_triage",
            notebook=nb,
            parameters=params,
            title=f"{NOTEBOOK_TITLES.get(nb, nb)} — hypotheses {', '.join(f'#{r}' for r in ranks)}",
            hypotheses=tuple(ranks),
        )
        for nb, (params, ranks) in runs.items()
    ]
    return hyps, links
