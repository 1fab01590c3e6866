"""The demo incident's logs, traces and HAR as bytes and files (the story: :mod:`apiprobe.demo._incident_story`)."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

from apiprobe.demo._incident_plan import _Incident
from apiprobe.demo._incident_render import _gateway_text, _har, _jaeger, _otlp, _zipkin
from apiprobe.demo._incident_story import DEMO_HAR_FILE, DEMO_LOG_FILES, DEMO_TRACE_FILES, HAR_CLIENT_IP

__all__ = ["demo_incident_files", "write_demo_incident"]


def demo_incident_files(*, seed: int = 14) -> dict[str, bytes]:
    """The incident's files as bytes, keyed by their path relative to the demo folder.

    Keys: ``logs/<file>`` for each of :data:`DEMO_LOG_FILES`, ``traces/<file>``
    for each of :data:`DEMO_TRACE_FILES` and ``har/checkout.har``. The same
    seed always gives the same bytes.

    Parameters
    ----------
    seed : int, default 14
        Seed of the traffic (``seed + 1`` draws the ids, ``seed + 2`` the HAR's timings).

    Returns
    -------
    dict of str to bytes
        File contents by relative path (``logs/orders.log.gz`` is gzip-compressed,
        the rest UTF-8 text).
    """
    sim = _Incident(seed)
    sim.run()
    for records in sim.logs.values():
        records.sort()
    out: dict[str, bytes] = {}
    for service, name in DEMO_LOG_FILES.items():
        if service == "gateway":
            text = _gateway_text(sim.logs[service])
        else:
            text = "".join(line + "\n" for _, _, line in sim.logs[service])
        data = text.encode("utf-8")
        if name.endswith(".gz"):
            data = gzip.compress(data, compresslevel=9, mtime=0)
        out[f"logs/{name}"] = data
    spans = sorted(sim.spans, key=lambda s: (s.start, s.span_id))
    out[f"traces/{DEMO_TRACE_FILES['otlp']}"] = _otlp(spans).encode()
    out[f"traces/{DEMO_TRACE_FILES['jaeger']}"] = _jaeger(spans).encode()
    out[f"traces/{DEMO_TRACE_FILES['zipkin']}"] = _zipkin(spans).encode()
    har = sorted((r for r in sim.requests if r.client_ip == HAR_CLIENT_IP and r.forced.get("har")), key=lambda r: r.t0)
    out[f"har/{DEMO_HAR_FILE}"] = _har(har, random.Random(seed + 2)).encode("utf-8")
    return out


def write_demo_incident(out_dir: str | Path, *, seed: int = 14) -> dict[str, Path]:
    """Write the incident's logs, traces and HAR under ``out_dir`` (``logs/``, ``traces/``, ``har/``).

    Parameters
    ----------
    out_dir : str or pathlib.Path
        Folder to write into; the subfolders are created if needed.
    seed : int, default 14
        As for :func:`demo_incident_files`.

    Returns
    -------
    dict of str to pathlib.Path
        The written paths keyed ``log_<service>``, ``trace_<format>`` and ``har``.
    """
    out = Path(out_dir)
    files = demo_incident_files(seed=seed)
    names = {f"logs/{v}": f"log_{k}" for k, v in DEMO_LOG_FILES.items()}
    names.update({f"traces/{v}": f"trace_{k}" for k, v in DEMO_TRACE_FILES.items()})
    names[f"har/{DEMO_HAR_FILE}"] = "har"
    paths: dict[str, Path] = {}
    for rel, data in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        paths[names[rel]] = path
    return paths
