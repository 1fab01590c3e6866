"""The demo incident's logs, traces and HAR as bytes and files (the story: :mod:`apiprobe.demo._incident_story`)."""

from __future__ import annotations

import gzip
import random
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from apiprobe.demo._incident_plan import _Incident
from apiprobe.demo._incident_render import _gateway_text, _har, _jaeger, _otlp, _zipkin
from apiprobe.demo._incident_story import (
    _S,
    DEMO_HAR_FILE,
    DEMO_LOG_FILES,
    DEMO_SERVICES,
    DEMO_TRACE_FILES,
    HAR_CLIENT_IP,
)
from apiprobe.errors import InvalidParameterError

__all__ = ["demo_incident_files", "write_demo_incident"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _iso_ns(value: str, name: str) -> int:
    """An ISO 8601 instant as integer ns since the epoch (naive means UTC)."""
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(
            f"{name} must be an ISO 8601 time such as '2026-03-14T09:50:00Z', got {value!r}"
        ) from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delta = when - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * _S + delta.microseconds * 1000


def _check_services(mapping: Mapping[str, object], name: str) -> None:
    unknown = sorted(set(mapping) - set(DEMO_SERVICES))
    if unknown:
        raise InvalidParameterError(f"{name} has unknown services {unknown}; the services are {sorted(DEMO_SERVICES)}")


def _skews(clock_skew: Mapping[str, float] | None) -> dict[str, int]:
    skews = dict(clock_skew or {})
    _check_services(skews, "clock_skew")
    out = {}
    for service, seconds in skews.items():
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds != seconds:
            raise InvalidParameterError(f"clock_skew[{service!r}] must be a number of seconds, got {seconds!r}")
        out[service] = round(seconds * _S)
    return out


def _windows(
    cover: Mapping[str, tuple[str | None, str | None]] | None,
) -> dict[str, tuple[int | None, int | None]]:
    spans = dict(cover or {})
    _check_services(spans, "cover")
    out: dict[str, tuple[int | None, int | None]] = {}
    for service, span in spans.items():
        if not isinstance(span, tuple | list) or len(span) != 2:
            raise InvalidParameterError(f"cover[{service!r}] must be a (start, end) pair, got {span!r}")
        start, end = (None if v is None else _iso_ns(v, f"cover[{service!r}]") for v in span)
        if start is not None and end is not None and start >= end:
            raise InvalidParameterError(f"cover[{service!r}] must start before it ends, got {span!r}")
        out[service] = (start, end)
    return out


def demo_incident_files(
    *,
    seed: int = 14,
    clock_skew: Mapping[str, float] | None = None,
    cover: Mapping[str, tuple[str | None, str | None]] | None = None,
) -> dict[str, bytes]:
    """The incident's files as bytes, keyed by their path relative to the demo folder.

    Keys: ``logs/<file>`` for each of :data:`DEMO_LOG_FILES`, ``traces/<file>``
    for each of :data:`DEMO_TRACE_FILES` and ``har/checkout.har``. The same
    arguments always give the same bytes.

    Parameters
    ----------
    seed : int, default 14
        Seed of the traffic (``seed + 1`` draws the ids, ``seed + 2`` the HAR's timings).
    clock_skew : mapping of str to float, optional
        Service → how many seconds its clock runs ahead of true time (negative:
        behind), e.g. ``{"billing": 4.0, "auth": -2.0}``. Only the times the
        service writes in its own log move; the traffic, the traces, the HAR
        and the other services' logs are the same as without it.
    cover : mapping of str to (str or None, str or None), optional
        Service → the span ``[start, end)`` (ISO 8601, UTC; None for open) its
        log file holds, read on the service's own (skewed) clock: the lines
        written outside it are dropped, as from a rotated log or a pod whose
        log was lost. E.g. ``{"orders": ("2026-03-14T09:50:00Z", None)}``.

    Returns
    -------
    dict of str to bytes
        File contents by relative path (``logs/orders.log.gz`` is gzip-compressed,
        the rest UTF-8 text).

    Raises
    ------
    InvalidParameterError
        A service that is not one of :data:`DEMO_SERVICES`, a skew that is not
        a number, or a span that is not a pair of ISO 8601 times in order.
    """
    skews = _skews(clock_skew)
    windows = _windows(cover)
    sim = _Incident(seed, skews)
    sim.run()
    for records in sim.logs.values():
        records.sort()
    for service, (start, end) in windows.items():
        skew = skews.get(service, 0)
        sim.logs[service] = [
            rec
            for rec in sim.logs[service]
            if (start is None or rec[0] + skew >= start) and (end is None or rec[0] + skew < end)
        ]
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


def write_demo_incident(
    out_dir: str | Path,
    *,
    seed: int = 14,
    clock_skew: Mapping[str, float] | None = None,
    cover: Mapping[str, tuple[str | None, str | None]] | None = None,
) -> dict[str, Path]:
    """Write the incident's logs, traces and HAR under ``out_dir`` (``logs/``, ``traces/``, ``har/``).

    Parameters
    ----------
    out_dir : str or pathlib.Path
        Folder to write into; the subfolders are created if needed.
    seed : int, default 14
        As for :func:`demo_incident_files`.
    clock_skew, cover : mapping, optional
        As for :func:`demo_incident_files`.

    Returns
    -------
    dict of str to pathlib.Path
        The written paths keyed ``log_<service>``, ``trace_<format>`` and ``har``.
    """
    out = Path(out_dir)
    files = demo_incident_files(seed=seed, clock_skew=clock_skew, cover=cover)
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
