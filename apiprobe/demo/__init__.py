"""Reproducible demo data, so every notebook runs without a network.

* :func:`demo_probes`, :func:`demo_pings` — probes of three targets over two
  hours with a slow dependency and a lossy link (:mod:`apiprobe.demo._probes`);
* :data:`DEMO_GO_SOURCE`, :data:`DEMO_PAYLOADS` — a Go struct whose request
  bodies "arrive empty", and the bodies (:mod:`apiprobe.demo._serialization`);
* :func:`demo_goroutine_dump`, :func:`demo_dump_pair` — goroutine dumps of a
  service with an exhausted HTTP pool (:mod:`apiprobe.demo._goroutines`);
* :func:`demo_cpu_profile` — pprof CPU profiles of a Go API, incident and
  baseline (:mod:`apiprobe.demo._profiles`);
* :func:`demo_incident_files` — logs of six services in six logger dialects,
  traces in three formats and a HAR of a checkout outage
  (:mod:`apiprobe.demo._incident_story` tells the story);
* :data:`DEMO_TIMEOUTS_YAML` — the declared call graph of the checkout path, with
  timeouts and retries (:mod:`apiprobe.demo._resilience`);
* :func:`demo_metrics_text` — the incident as six hours of three Go services'
  Prometheus metrics in OpenMetrics (:mod:`apiprobe.demo._metrics`);
* :func:`write_demo_triage_folder` — the same incident as the folder an on-call
  engineer collected (:data:`DEMO_TRIAGE_FILES`): skewed clocks
  (:data:`DEMO_CLOCK_SKEW`), logs that cover different spans
  (:data:`DEMO_LOG_COVER`), a healthy bystander service, payments' goroutine
  dump and profiles, a truncated profile, a red-herring certificate chain and a
  screenshot (:mod:`apiprobe.demo._triage_folder`);
* :func:`write_demo` — all of it as files under ``data/demo`` (the triage folder
  in ``data/demo/incident``).

The same arguments always give the same bytes. This package may use
:mod:`apiprobe.load`, :mod:`apiprobe.schema` and :mod:`apiprobe.analyze`, never
notebook glue, figures, reports or the CLI.
"""

from apiprobe.demo._goroutines import demo_dump_pair, demo_goroutine_dump, write_demo_dumps
from apiprobe.demo._incident import demo_incident_files, write_demo_incident
from apiprobe.demo._incident_story import (
    BASELINE,
    DEMO_HAR_FILE,
    DEMO_LOG_FILES,
    DEMO_SERVICES,
    DEMO_TIMELINE,
    DEMO_TRACE_FILES,
    GATEWAY_TIMEOUT_S,
    HAR_CLIENT_IP,
    INCIDENT,
    STORM_CLIENT_IP,
)
from apiprobe.demo._metrics import DEMO_METRICS_END, DEMO_OBJECTIVE, demo_metrics_text
from apiprobe.demo._probes import DEMO_START, DEMO_TIMEOUT_MS, demo_pings, demo_probes
from apiprobe.demo._profiles import demo_cpu_profile, write_demo_profiles
from apiprobe.demo._resilience import DEMO_TIMEOUTS_YAML
from apiprobe.demo._serialization import DEMO_GO_SOURCE, DEMO_PAYLOADS
from apiprobe.demo._triage_folder import DEMO_CLOCK_SKEW, DEMO_LOG_COVER, DEMO_TRIAGE_FILES, write_demo_triage_folder
from apiprobe.demo._write import write_demo

__all__ = [
    "BASELINE",
    "DEMO_CLOCK_SKEW",
    "DEMO_GO_SOURCE",
    "DEMO_HAR_FILE",
    "DEMO_LOG_COVER",
    "DEMO_LOG_FILES",
    "DEMO_METRICS_END",
    "DEMO_OBJECTIVE",
    "DEMO_PAYLOADS",
    "DEMO_SERVICES",
    "DEMO_START",
    "DEMO_TIMELINE",
    "DEMO_TIMEOUTS_YAML",
    "DEMO_TIMEOUT_MS",
    "DEMO_TRACE_FILES",
    "DEMO_TRIAGE_FILES",
    "GATEWAY_TIMEOUT_S",
    "HAR_CLIENT_IP",
    "INCIDENT",
    "STORM_CLIENT_IP",
    "demo_cpu_profile",
    "demo_dump_pair",
    "demo_goroutine_dump",
    "demo_incident_files",
    "demo_metrics_text",
    "demo_pings",
    "demo_probes",
    "write_demo",
    "write_demo_dumps",
    "write_demo_incident",
    "write_demo_profiles",
    "write_demo_triage_folder",
]
