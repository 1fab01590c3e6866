"""The demo incident as an on-call engineer's folder: what ``apiprobe triage`` is given.

The same incident as :mod:`apiprobe.demo._incident_story` (2026-03-14; payments'
go-pg pool, ``PoolSize`` 20, drained from 10:00 by a reconciliation job that
holds 16 connections; orders' calls to payments time out and are retried;
the gateway answers 504/503; the job is cancelled at 10:16:10 and the pool
recovers by ~10:19), dumped into one folder the way people collect
evidence — sub-folders, inconsistent names, some files gzipped — and not tidy:

* **clock skew** (:data:`DEMO_CLOCK_SKEW`): billing's clock runs 4 s ahead
  (every time in ``logs/billing.log`` is 4 s later than true time), auth's
  2 s behind; the traces keep true time;
* **partial overlaps** (:data:`DEMO_LOG_COVER`, on each service's own clock):
  ``logs/orders.log.gz`` is a rotated file from 09:50:00 on,
  ``logs/auth.log`` ends at 10:12:00 (the pod was rescheduled, the rest is
  lost), ``logs/search.log.gz`` covers 09:30–10:30, the others 09:40–10:20;
* a healthy bystander, ``search`` (zap console), that never calls payments;
* payments' goroutine dump at 10:06:00 (go-pg pool exhausted: 38 handlers in
  ``(*ConnPool).waitTurn``), its 30 s CPU profile from 10:05:00 and a heap
  profile cut in half by a failed copy (``pprof/payments-heap.pb.gz``);
* red herrings and noise: a healthy pasted certificate chain, a PNG
  screenshot, free-prose notes.

:data:`DEMO_TRIAGE_FILES` names every file; :func:`write_demo_triage_folder`
writes them (the same bytes on every run).
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

from apiprobe.demo._incident import demo_incident_files
from apiprobe.demo._incident_story import DEMO_HAR_FILE, DEMO_LOG_FILES, DEMO_TRACE_FILES
from apiprobe.demo._metrics import demo_metrics_text
from apiprobe.demo._payments_dump import demo_payments_goroutine_dump
from apiprobe.demo._profiles import demo_cpu_profile, demo_heap_profile
from apiprobe.demo._resilience import DEMO_TIMEOUTS_YAML
from apiprobe.demo._search_logs import demo_search_log
from apiprobe.demo._serialization import DEMO_GO_SOURCE, DEMO_PAYLOADS
from apiprobe.demo._triage_extras import DEMO_ONCALL_NOTES, demo_payments_chain, demo_screenshot_png

__all__ = ["DEMO_CLOCK_SKEW", "DEMO_LOG_COVER", "DEMO_TRIAGE_FILES", "write_demo_triage_folder"]

#: Service → seconds its clock runs ahead of true time in the triage folder's logs (negative: behind).
DEMO_CLOCK_SKEW: dict[str, float] = {"billing": 4.0, "auth": -2.0}
#: Service → the span ``[start, end)`` its log file in the triage folder holds, on its own clock
#: (None: from the start / to the end of the story's 09:40–10:20).
DEMO_LOG_COVER: dict[str, tuple[str | None, str | None]] = {
    "orders": ("2026-03-14T09:50:00Z", None),
    "auth": (None, "2026-03-14T10:12:00Z"),
}
#: What is in the triage folder: name → path relative to it.
DEMO_TRIAGE_FILES: dict[str, str] = {
    "log_gateway": "logs/gateway.json.log.gz",
    "log_orders": "logs/orders.log.gz",
    "log_payments": "logs/payments.log",
    "log_inventory": "logs/inventory.jsonl.gz",
    "log_billing": "logs/billing.log",
    "log_auth": "logs/auth.log",
    "log_search": "logs/search.log.gz",
    "goroutines": "payments-goroutines-20260314T1006Z.txt",
    "cpu_profile": "pprof/payments-cpu-20260314T1005Z.pb.gz",
    "heap_profile": "pprof/payments-heap.pb.gz",
    "metrics": "metrics/prometheus-snapshot.txt.gz",
    "trace_otlp": "traces/checkout-otlp.json.gz",
    "trace_jaeger": "traces/inventory-jaeger.json",
    "trace_zipkin": "traces/billing-zipkin.json",
    "har": "browser/checkout.har",
    "go_source": "src/order.go",
    "payloads": "payloads.jsonl",
    "timeouts": "timeouts.yaml",
    "chain": "payments-chain.pem",
    "screenshot": "grafana-screenshot.png",
    "notes": "oncall-notes.txt",
}
#: When payments' CPU profile starts (``time_nanos``); it runs 30 s.
_CPU_PROFILE_START = "2026-03-14T10:05:00Z"


def _gz(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)


def _files(seed: int) -> dict[str, bytes]:
    inc = demo_incident_files(seed=seed, clock_skew=DEMO_CLOCK_SKEW, cover=DEMO_LOG_COVER)
    logs = {s: inc[f"logs/{name}"] for s, name in DEMO_LOG_FILES.items()}
    heap = demo_heap_profile()
    out = {
        "log_gateway": _gz(logs["gateway"]),
        "log_orders": logs["orders"],  # already gzipped: the rotated file
        "log_payments": logs["payments"],
        "log_inventory": _gz(logs["inventory"]),
        "log_billing": logs["billing"],
        "log_auth": logs["auth"],
        "log_search": _gz(demo_search_log().encode()),
        "goroutines": demo_payments_goroutine_dump().encode(),
        "cpu_profile": demo_cpu_profile(cause="pg_pool", start=_CPU_PROFILE_START),
        "heap_profile": heap[: len(heap) // 2],  # the copy died halfway
        "metrics": _gz(demo_metrics_text().encode()),
        "trace_otlp": _gz(inc[f"traces/{DEMO_TRACE_FILES['otlp']}"]),
        "trace_jaeger": inc[f"traces/{DEMO_TRACE_FILES['jaeger']}"],
        "trace_zipkin": inc[f"traces/{DEMO_TRACE_FILES['zipkin']}"],
        "har": inc[f"har/{DEMO_HAR_FILE}"],
        "go_source": DEMO_GO_SOURCE.encode(),
        "payloads": DEMO_PAYLOADS.encode(),
        "timeouts": DEMO_TIMEOUTS_YAML.encode(),
        "chain": demo_payments_chain().encode(),
        "screenshot": demo_screenshot_png(),
        "notes": DEMO_ONCALL_NOTES.encode(),
    }
    return out


def write_demo_triage_folder(out_dir: str | os.PathLike[str], *, seed: int = 14) -> dict[str, Path]:
    """Write the demo incident's triage folder: the evidence an on-call engineer collected.

    The files are those of :data:`DEMO_TRIAGE_FILES` (see the module
    :mod:`apiprobe.demo._triage_folder` and ``data/README.md`` for what is
    in each, the clock skew, the partial overlaps, the corrupt and the
    unknown file). The same seed always gives the same bytes.

    Parameters
    ----------
    out_dir : str or os.PathLike
        The folder (created if needed; files in it are overwritten, others left alone).
    seed : int, default 14
        Seed of the incident's traffic (as for :func:`demo_incident_files`).

    Returns
    -------
    dict of str to pathlib.Path
        The written paths, keyed as :data:`DEMO_TRIAGE_FILES`.
    """
    out = Path(out_dir)
    paths: dict[str, Path] = {}
    for name, data in _files(seed).items():
        path = out / DEMO_TRIAGE_FILES[name]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        paths[name] = path
    return paths
