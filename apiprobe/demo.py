"""Reproducible demo incident data, so every notebook runs without a network.

The story (times relative to the start of the data, three targets probed every
15 s for two hours):

* ``https://checkout.demo.internal/api/cart`` — healthy throughout (the control);
* ``https://payments.demo.internal/v1/charge`` — from 40 to 55 min the server
  wait climbs (a slow dependency), spikes past the 2 s client timeout and a
  share of requests end in ``read_timeout``, with some 503s;
* ``http://inventory.demo.internal/stock`` — from 70 to 85 min a lossy link:
  connects wait for SYN retransmits (~1 s, ~3 s) and some ``connect_timeout``.

A baseline (the same targets on a quiet day) comes with it, for comparisons.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from apiprobe.load.tables import write_table
from apiprobe.schema import conform

__all__ = [
    "DEMO_GO_SOURCE",
    "DEMO_PAYLOADS",
    "DEMO_START",
    "DEMO_TIMEOUT_MS",
    "demo_pings",
    "demo_probes",
    "write_demo",
]

#: Start of the demo data (a fixed instant, so the data is reproducible).
DEMO_START = pd.Timestamp("2026-03-14T09:00:00Z")
#: The client timeout of the service in the story, ms.
DEMO_TIMEOUT_MS = 2000.0

_TARGETS = {
    "https://checkout.demo.internal/api/cart": ("10.20.0.11", 443, "https"),
    "https://payments.demo.internal/v1/charge": ("10.20.0.12", 443, "https"),
    "http://inventory.demo.internal/stock": ("10.20.0.13", 80, "http"),
}


def _lognormal(rng: np.random.Generator, median: float, sigma: float, n: int) -> np.ndarray:
    return median * np.exp(sigma * rng.standard_normal(n))


def _unless(mask: np.ndarray, value: str) -> np.ndarray:
    """Object array holding ``value`` where ``mask`` is False and None where it is True."""
    out = np.full(len(mask), None, dtype=object)
    out[~mask] = value
    return out


def demo_probes(
    *,
    seed: int = 7,
    incident: bool = True,
    minutes: int = 120,
    interval_s: float = 15.0,
    start: pd.Timestamp = DEMO_START,
) -> pd.DataFrame:
    """Synthetic probes of the demo incident (or of a quiet baseline day).

    Each row is one HTTP attempt (schema ``probes``). The same arguments
    always give the same table.
    """
    rng = np.random.default_rng(seed if incident else seed + 1000)
    n = int(minutes * 60 / interval_s)
    offsets = np.arange(n) * interval_s
    frames = []
    for t_index, (target, (ip, port, scheme)) in enumerate(_TARGETS.items()):
        minute = offsets / 60.0
        ts = (start + pd.to_timedelta(offsets + rng.uniform(0, 0.4, n) + t_index * 0.05, unit="s")).floor("ms")
        dns = _lognormal(rng, 1.2, 0.4, n)
        connect = _lognormal(rng, 0.9, 0.25, n)
        tls = _lognormal(rng, 4.5, 0.2, n) if scheme == "https" else np.full(n, np.nan)
        request = _lognormal(rng, 0.08, 0.3, n)
        ttfb = _lognormal(rng, 35.0 if "payments" in target else 18.0, 0.35, n)
        transfer = _lognormal(rng, 0.6, 0.5, n)
        status = np.where(rng.uniform(size=n) < 0.001, 500, 200).astype(float)
        error_kind = np.full(n, None, dtype=object)
        error = np.full(n, None, dtype=object)
        if incident and "payments" in target:
            window = (minute >= 40) & (minute < 55)
            ramp = np.clip((minute - 40) / 6.0, 0, 1) * np.clip((55 - minute) / 4.0, 0, 1)
            ttfb = np.where(window, ttfb * (1 + 45 * ramp * rng.uniform(0.3, 1.8, n)), ttfb)
            status = np.where(window & (rng.uniform(size=n) < 0.12), 503, status)
        if incident and "inventory" in target:
            window = (minute >= 70) & (minute < 85)
            u = rng.uniform(size=n)
            connect = np.where(window & (u < 0.25), 1000 + connect, connect)
            connect = np.where(window & (u >= 0.25) & (u < 0.32), 3000 + connect, connect)
            lost = window & (u >= 0.32) & (u < 0.40)
            error_kind[lost] = "connect_timeout"
            error[lost] = "ConnectTimeout: timed out"
        phases = np.vstack([dns, connect, np.nan_to_num(tls), request, ttfb, transfer])
        total = phases.sum(axis=0) + _lognormal(rng, 0.3, 0.3, n)
        pending = pd.isna(error_kind.astype(object))
        slow_connect = pending & (dns + connect > DEMO_TIMEOUT_MS)
        error_kind[slow_connect], error[slow_connect] = "connect_timeout", "ConnectTimeout: timed out"
        slow_answer = pending & ~slow_connect & (total > DEMO_TIMEOUT_MS)
        error_kind[slow_answer], error[slow_answer] = "read_timeout", "ReadTimeout: timed out"
        failed = ~pd.isna(error_kind.astype(object))
        connect_failed = error_kind == "connect_timeout"
        df = pd.DataFrame(
            {
                "ts": ts,
                "run_id": "demo" if incident else "demo-baseline",
                "target": target,
                "url": target,
                "method": "GET",
                "host": target.split("/")[2],
                "ip": ip,
                "port": port,
                "scheme": scheme,
                "resolver": "system",
                "dns_ms": dns,
                "connect_ms": np.where(connect_failed, np.nan, connect),
                "tls_ms": np.where(connect_failed, np.nan, tls),
                "request_ms": np.where(connect_failed, np.nan, request),
                "ttfb_ms": np.where(failed, np.nan, ttfb),
                "transfer_ms": np.where(failed, np.nan, transfer),
                "total_ms": np.where(failed, np.nan, total),
                "status": np.where(failed, np.nan, status),
                "http_version": _unless(failed, "HTTP/1.1"),
                "tls_version": _unless(failed | (scheme != "https"), "TLSv1.3"),
                "reused_conn": False,
                "bytes": np.where(failed, np.nan, np.round(_lognormal(rng, 900, 0.2, n))),
                "error_kind": error_kind,
                "error": error,
            }
        )
        frames.append(df)
    out = pd.concat(frames, ignore_index=True).sort_values("ts", kind="stable")
    return conform(
        out.astype({"status": "Float64", "bytes": "Float64"}).astype({"status": "Int64", "bytes": "Int64"}), "probes"
    )


def demo_pings(
    *, seed: int = 7, minutes: int = 120, interval_s: float = 5.0, start: pd.Timestamp = DEMO_START
) -> pd.DataFrame:
    """Synthetic TCP-connect samples to the inventory host, lossy from 70 to 85 min.

    Each row is one sample (schema ``pings``).
    """
    rng = np.random.default_rng(seed + 1)
    n = int(minutes * 60 / interval_s)
    offsets = np.arange(n) * interval_s
    minute = offsets / 60.0
    rtt = _lognormal(rng, 0.9, 0.25, n)
    window = (minute >= 70) & (minute < 85)
    lost = window & (rng.uniform(size=n) < 0.08)
    rtt = np.where(window, rtt + rng.gamma(2.0, 15.0, n), rtt)
    return conform(
        pd.DataFrame(
            {
                "ts": start + pd.to_timedelta(offsets, unit="s"),
                "run_id": "demo",
                "target": "inventory.demo.internal:80",
                "ip": "10.20.0.13",
                "port": 80,
                "seq": np.arange(n),
                "rtt_ms": np.where(lost, np.nan, rtt),
                "ok": ~lost,
                "error_kind": _unless(~lost, "connect_timeout"),
                "error": _unless(~lost, "no SYN-ACK within 3 s"),
            }
        ),
        "pings",
    )


#: Go source of the demo service whose request bodies "arrive empty" (handbook §2.3).
DEMO_GO_SOURCE = """\
// Package orders is the demo service whose request bodies "arrive empty".
// Each field below hides one trap that the serialization notebook explains.
package orders

type Address struct {
	Street string `json:"street"`
	City   string `json:"city"`
}

type Audit struct {
	CreatedBy string `json:"created_by"`
	Source    string `json:"source"`
}

type Meta struct {
	Source string `json:"source"`
}

type CreateOrder struct {
	Audit                           // embedded: created_by is promoted...
	Meta                            // ...but "source" exists in both at the same depth: neither is filled
	OrderID   string  `json:"order_id"`
	UserID    int64   `json:"userId"`          // clients send user_id: silently dropped
	Age       int     `json:""`                // handbook: "hides the field"; Go uses "Age", any case
	SKU       string  `json:sku`               // malformed tag (no quotes): ignored, key is "SKU" (matches "sku" too)
	Quantity  int8    `json:"quantity"`        // 300 overflows int8
	Count     int     `json:"count "`          // trailing space: the key is "count " - "count" never matches
	Price     float64 `json:"price,string"`    // expects "12.50" as a quoted string
	Coupon    string  `jsn:"coupon"`           // misspelled tag key: ignored, key is "Coupon"
	note      string  `json:"note"`            // unexported: never decoded
	Shipping  *Address `json:"shipping,omitempty"`
	Tags      []string `json:"tags"`
	Internal  string  `json:"-"`                // never decoded
}
"""

#: Request bodies the demo service received, one JSON document per line.
DEMO_PAYLOADS = "".join(
    '{"order_id": "o-1001", "user_id": 42, "age": 31, "sku": "A-7", "quantity": 3, "count": 2, "price": "'
    '12.50", "coupon": "SPRING", "note": "leave at door", "created_by": "web", "source": "checkout", "shi'
    'pping": {"street": "1 Main St", "city": "Springfield"}, "tags": ["gift"], "Internal": "x"}'
    "\n"
    '{"order_id": "o-1002", "user_id": 43, "Age": 45, "SKU": "B-2", "quantity": 300, "count": 1, "price":'
    ' 9.99, "coupon": null, "created_by": "ios", "source": "app"}'
    "\n"
    '{"order_id": "o-1003", "userId": 44, "age": "52", "sku": "C-9", "quantity": 1, "price": "4.00", "ord'
    'er_id": "o-1003b", "shipping": null, "tags": []}'
    "\n"
    '{"ORDER_ID": "o-1004", "user_id": 45, "quantity": 2, "price": "19.90", "created_by": "android"}'
    "\n"
)


def write_demo(out_dir: str | os.PathLike[str] = "data/demo", *, seed: int = 7) -> dict[str, Path]:
    """Write the demo incident under ``out_dir``.

    probes.csv, baseline.csv, pings.csv, serialization/order.go with
    serialization/payloads.jsonl, goroutines/goroutines-{before,after}.txt and
    profiles/cpu.pb.gz with profiles/cpu_baseline.pb.gz, and the logs/traces/HAR
    incident of :mod:`apiprobe.demo_incident` under logs/, traces/ and har/.
    Returns the written paths by name.
    """
    out = Path(out_dir)
    ser = out / "serialization"
    ser.mkdir(parents=True, exist_ok=True)
    (ser / "order.go").write_text(DEMO_GO_SOURCE, encoding="utf-8")
    (ser / "payloads.jsonl").write_text(DEMO_PAYLOADS, encoding="utf-8")
    from apiprobe.demo_goroutines import write_demo_dumps
    from apiprobe.demo_incident import write_demo_incident
    from apiprobe.demo_profiles import write_demo_profiles

    dumps = write_demo_dumps(out / "goroutines")
    profiles = write_demo_profiles(out / "profiles")
    incident = write_demo_incident(out)
    return {
        **incident,
        "cpu_profile": profiles["cpu"],
        "cpu_baseline": profiles["cpu_baseline"],
        "goroutines_before": dumps["before"],
        "goroutines_after": dumps["after"],
        "probes": write_table(demo_probes(seed=seed), out / "probes.csv"),
        "baseline": write_table(demo_probes(seed=seed, incident=False), out / "baseline.csv"),
        "pings": write_table(demo_pings(seed=seed), out / "pings.csv"),
        "go_source": ser / "order.go",
        "payloads": ser / "payloads.jsonl",
    }
