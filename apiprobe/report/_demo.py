"""The demo suite's runs: ``make demo`` leads with the triage of the demo incident folder, then the fault lab."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from apiprobe.report._run import NotebookRun

__all__ = ["demo_runs"]


def demo_runs(
    notebooks_dir: str | os.PathLike[str],
    data_dir: str | os.PathLike[str],
    lab_urls: Mapping[str, str] | None = None,
    *,
    cafile: str = "",
) -> list[NotebookRun]:
    """The demo runs that follow the triage of the demo incident folder (:func:`triage_report`).

    The latency notebook on the recorded probes and, when ``lab_urls``
    (fault-lab endpoint name → URL) is given, live against the lab; the TLS
    notebook against the lab's broken-chain endpoints; the pool notebook on the
    demo dumps with a sweep of the lab's pool-limited upstream; the profiles
    notebook on a CPU profile against its baseline; the execution-trace notebook
    on the demo's recorded Go trace; the DNS notebook against the
    lab zone on loopback resolvers; the status-code notebook probing the lab's
    misuse endpoints; the resilience notebook on the lab's live retry scenario
    and the demo call graph. The multi-service incident's logs, traces, HAR,
    metrics, dumps and request bodies are the triage's: it picks their notebooks.

    Parameters
    ----------
    notebooks_dir : str or path-like
        Where the notebooks are (:data:`NOTEBOOKS` for the installed ones).
    data_dir : str or path-like
        The folder ``apiprobe demo`` wrote.
    lab_urls : mapping, optional
        Fault-lab endpoint name → URL; without it, only recorded data is used.
    cafile : str, optional
        The lab's CA bundle, for its HTTPS endpoints.

    Returns
    -------
    list of NotebookRun
        The runs, in report order.
    """
    nb_dir, data = Path(notebooks_dir).resolve(), Path(data_dir).resolve()
    runs = [
        NotebookRun(
            nb_dir / "01_latency_timeouts.ipynb",
            {
                "probes_path": str(data / "probes.csv"),
                "baseline_path": str(data / "baseline.csv"),
                "timeout_ms": 2000.0,
                "title": "Demo incident: payments slow, inventory lossy (recorded)",
            },
            name="01_latency_demo_incident",
            title="Latency & timeouts — recorded demo incident",
        )
    ]
    if lab_urls:
        wanted = ["ok", "delay", "jitter", "flaky", "slow_body", "blackhole", "refused", "https_ok"]
        targets = [lab_urls[k] for k in wanted if k in lab_urls]
        runs.append(
            NotebookRun(
                nb_dir / "01_latency_timeouts.ipynb",
                {
                    "targets": targets,
                    "count": 30,
                    "interval": 0.2,
                    "timeout_ms": 1000.0,
                    "cafile": cafile,
                    "title": "Fault lab, probed live",
                },
                name="01_latency_fault_lab",
                title="Latency & timeouts — live fault lab",
            )
        )
    runs.append(
        NotebookRun(
            nb_dir / "02_tls_certificates.ipynb",
            {"title": "Fault lab: one certificate defect per endpoint"},
            name="02_tls_fault_lab",
            title="TLS chains — fault lab, one defect per endpoint",
        )
    )
    runs.append(
        NotebookRun(
            nb_dir / "06_pool_exhaustion.ipynb",
            {
                "dump_path": str(data / "goroutines" / "goroutines-before.txt"),
                "later_dump_path": str(data / "goroutines" / "goroutines-after.txt"),
                "sweep_url": "lab",
                "title": "Demo service: HTTP client pool of 2",
            },
            name="06_pool_demo",
            title="Pool exhaustion — demo dumps and the lab's pool-limited upstream",
        )
    )
    runs.append(
        NotebookRun(
            nb_dir / "07_profiles.ipynb",
            {
                "profile_path": str(data / "profiles" / "cpu.pb.gz"),
                "baseline_path": str(data / "profiles" / "cpu_baseline.pb.gz"),
                "title": "Demo service: CPU profile",
            },
            name="07_profiles_demo",
            title="Profiles — demo CPU profile against its baseline",
        )
    )
    runs.append(
        NotebookRun(
            nb_dir / "12_execution_trace.ipynb",
            {
                "trace_path": str(data / "exectrace" / "checkout.trace"),
                "title": "Demo service: slow calls through a full HTTP client pool (recorded Go execution trace)",
            },
            name="12_execution_trace_demo",
            title="Execution trace — where the demo service's slow requests waited",
        )
    )
    runs.append(
        NotebookRun(
            nb_dir / "03_dns.ipynb",
            {"count": 3, "interval": 0.2, "title": "Lab DNS zone on two loopback resolvers"},
            name="03_dns_lab_zone",
            title="DNS — lab zone, inside and outside views",
        )
    )
    runs.append(
        NotebookRun(
            nb_dir / "05_status_codes.ipynb",
            {"probe_urls": "lab", "title": "Fault lab: one endpoint per status-code misuse, probed with bodies"},
            name="05_status_lab",
            title="Status codes — the lab's misuse endpoints, probed live",
        )
    )
    runs.append(
        NotebookRun(
            nb_dir / "10_resilience.ipynb",
            {
                "scenario": "lab",
                "timeouts_path": str(data / "resilience" / "timeouts.yaml"),
                "title": "Fault lab: clients retrying through a breaker into a flaky upstream, and the demo call graph",
            },
            name="10_resilience_lab",
            title="Resilience — live retry storm, breaker and fallback; the demo's timeout budget",
        )
    )
    return runs
