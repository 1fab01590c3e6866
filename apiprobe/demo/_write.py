"""Write every demo data set under one folder (``data/demo`` by default)."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

from apiprobe.demo._goroutines import write_demo_dumps
from apiprobe.demo._gotrace import write_demo_go_trace
from apiprobe.demo._incident import write_demo_incident
from apiprobe.demo._metrics import demo_metrics_text
from apiprobe.demo._probes import demo_pings, demo_probes
from apiprobe.demo._profiles import write_demo_profiles
from apiprobe.demo._resilience import DEMO_TIMEOUTS_YAML
from apiprobe.demo._serialization import DEMO_GO_SOURCE, DEMO_PAYLOADS
from apiprobe.demo._triage_folder import write_demo_triage_folder
from apiprobe.load.tables import write_table

__all__ = ["write_demo"]


def write_demo(out_dir: str | os.PathLike[str] = "data/demo", *, seed: int = 7) -> dict[str, Path]:
    """Write the demo incident under ``out_dir``.

    probes.csv, baseline.csv, pings.csv, serialization/order.go with
    serialization/payloads.jsonl, resilience/timeouts.yaml, metrics/incident.openmetrics.txt.gz,
    goroutines/goroutines-{before,after}.txt and
    profiles/cpu.pb.gz with profiles/cpu_baseline.pb.gz, exectrace/checkout.trace (a recorded Go
    execution trace), the logs/traces/HAR
    incident of :func:`write_demo_incident` under logs/, traces/ and har/, and
    the triage folder of :func:`write_demo_triage_folder` under incident/.

    Parameters
    ----------
    out_dir : str or os.PathLike, default "data/demo"
        Folder to write into (created if needed; files in it are overwritten).
    seed : int, default 7
        Seed of the probes, baseline and pings tables (the other files have fixed seeds).

    Returns
    -------
    dict of str to pathlib.Path
        The written paths by name: ``probes``, ``baseline``, ``pings``,
        ``go_source``, ``payloads``, ``timeouts``, ``metrics``, ``goroutines_before``, ``goroutines_after``,
        ``cpu_profile``, ``cpu_baseline``, ``go_trace``, ``log_<service>``,
        ``trace_<format>`` and ``har`` of :func:`write_demo_incident`, and
        ``incident_<name>`` for each file of :func:`write_demo_triage_folder`.
    """
    out = Path(out_dir)
    ser = out / "serialization"
    ser.mkdir(parents=True, exist_ok=True)
    (ser / "order.go").write_text(DEMO_GO_SOURCE, encoding="utf-8")
    (ser / "payloads.jsonl").write_text(DEMO_PAYLOADS, encoding="utf-8")
    res = out / "resilience"
    res.mkdir(parents=True, exist_ok=True)
    (res / "timeouts.yaml").write_text(DEMO_TIMEOUTS_YAML, encoding="utf-8")
    metrics = out / "metrics"
    metrics.mkdir(parents=True, exist_ok=True)
    (metrics / "incident.openmetrics.txt.gz").write_bytes(
        gzip.compress(demo_metrics_text().encode(), compresslevel=9, mtime=0)
    )
    dumps = write_demo_dumps(out / "goroutines")
    profiles = write_demo_profiles(out / "profiles")
    go_trace = write_demo_go_trace(out / "exectrace")
    incident = write_demo_incident(out)
    triage = write_demo_triage_folder(out / "incident")
    return {
        **incident,
        **{f"incident_{name}": path for name, path in triage.items()},
        "cpu_profile": profiles["cpu"],
        "cpu_baseline": profiles["cpu_baseline"],
        "go_trace": go_trace,
        "goroutines_before": dumps["before"],
        "goroutines_after": dumps["after"],
        "probes": write_table(demo_probes(seed=seed), out / "probes.csv"),
        "baseline": write_table(demo_probes(seed=seed, incident=False), out / "baseline.csv"),
        "pings": write_table(demo_pings(seed=seed), out / "pings.csv"),
        "go_source": ser / "order.go",
        "payloads": ser / "payloads.jsonl",
        "timeouts": res / "timeouts.yaml",
        "metrics": metrics / "incident.openmetrics.txt.gz",
    }
