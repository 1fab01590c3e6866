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


The names load lazily (PEP 562): they are listed once, in ``__init__.pyi``.
"""

from apiprobe._lazy import lazy_surface as _lazy_surface

__all__, __getattr__, __dir__ = _lazy_surface(__name__, __file__)
