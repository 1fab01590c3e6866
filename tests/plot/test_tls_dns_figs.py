"""TLS and DNS figures on small schema-conformant tables."""

from __future__ import annotations

import pandas as pd
import pytest

from apiprobe.plot import fig_chain, fig_dns_latency, fig_expiry_timeline, fig_resolver_matrix
from apiprobe.schema import conform

AT = pd.Timestamp("2026-06-01T00:00:00Z")


def certs() -> pd.DataFrame:
    return conform(
        [
            {
                "target": "a:443",
                "position": 0,
                "subject": "CN=api.a.test",
                "issuer": "CN=Inter",
                "sans": "api.a.test",
                "not_before": "2026-01-01T00:00:00Z",
                "not_after": "2026-06-11T00:00:00Z",
                "days_left": 10.0,
                "is_ca": False,
                "self_signed": False,
                "key_type": "EC",
                "key_bits": 256,
                "signature_algorithm": "ecdsa-with-SHA256",
            },
            {
                "target": "a:443",
                "position": 1,
                "subject": "CN=Inter",
                "issuer": "CN=Root",
                "sans": None,
                "not_before": "2025-01-01T00:00:00Z",
                "not_after": "2030-01-01T00:00:00Z",
                "days_left": 1310.0,
                "is_ca": True,
                "self_signed": False,
                "key_type": "EC",
                "key_bits": 256,
                "signature_algorithm": "ecdsa-with-SHA256",
            },
            {
                "target": "b:443",
                "position": 0,
                "subject": "CN=<b>old</b>",
                "issuer": "CN=<b>old</b>",
                "sans": "b",
                "not_before": "2024-01-01T00:00:00Z",
                "not_after": "2025-01-01T00:00:00Z",
                "days_left": -516.0,
                "is_ca": False,
                "self_signed": True,
                "key_type": "RSA",
                "key_bits": 1024,
                "signature_algorithm": "sha1WithRSAEncryption",
            },
        ],
        "certs",
    )


def verdicts() -> pd.DataFrame:
    return conform(
        [
            {
                "target": "a:443",
                "store": "certifi",
                "check": "expiring_soon",
                "ok": False,
                "severity": "warning",
                "detail": "10 days left",
            },
            {
                "target": "a:443",
                "store": "certifi",
                "check": "hostname",
                "ok": True,
                "severity": "info",
                "detail": "ok",
            },
        ],
        "tls_verdicts",
    )


def test_chain_draws_one_bar_per_certificate_with_badges() -> None:
    fig = fig_chain(certs(), verdicts(), at=AT)
    bars = [t for t in fig.data if t.type == "bar"]
    assert len(bars) == 2 and bars[0].marker.color != bars[1].marker.color  # leaf amber, intermediate green
    assert "expiring_soon" in fig.layout.title.subtitle.text and "hostname" not in fig.layout.title.subtitle.text
    fig.to_json()


def test_chain_escapes_names_and_marks_expired() -> None:
    fig = fig_chain(certs(), target="b:443", at=AT)
    bar = next(t for t in fig.data if t.type == "bar")
    assert "<b>old</b>" not in bar.hovertext[0] and "&lt;b&gt;" in bar.hovertext[0]
    assert bar.marker.color == "#d62728" and "expired" in bar.text[0]


def test_empty_tables_say_so() -> None:
    for fig in (
        fig_chain(conform(None, "certs")),
        fig_expiry_timeline(conform(None, "certs")),
        fig_resolver_matrix(conform(None, "dns")),
        fig_dns_latency(conform(None, "dns")),
    ):
        assert "Nothing to draw" in fig.layout.annotations[0].text


def test_expiry_timeline_sorted_with_thresholds() -> None:
    fig = fig_expiry_timeline(certs())
    xs = list(fig.data[0].x)
    assert xs == sorted(xs) and len(xs) == 3
    assert {s.x0 for s in fig.layout.shapes} >= {0, 30, 60}


def dns() -> pd.DataFrame:
    t0 = pd.Timestamp("2026-01-01T00:00:00Z")
    rows = []
    for i in range(4):
        rows.append(
            {
                "ts": t0 + pd.Timedelta(seconds=i),
                "name": "api.test",
                "rtype": "A",
                "resolver": "r1",
                "rcode": "NOERROR",
                "answers": "10.0.0.1",
                "ttl": 30,
                "elapsed_ms": 5.0 + i,
            }
        )
        rows.append(
            {
                "ts": t0 + pd.Timedelta(seconds=i),
                "name": "api.test",
                "rtype": "A",
                "resolver": "r2",
                "rcode": "NOERROR",
                "answers": "10.0.0.2",
                "ttl": 30,
                "elapsed_ms": 250.0,
            }
        )
    rows.append(
        {
            "ts": t0,
            "name": "nx.test",
            "rtype": "A",
            "resolver": "r1",
            "rcode": "NXDOMAIN",
            "error_kind": "nxdomain",
            "elapsed_ms": 3.0,
        }
    )
    return conform(rows, "dns")


def test_resolver_matrix_marks_disagreement() -> None:
    fig = fig_resolver_matrix(dns())
    heat = fig.data[0]
    assert list(heat.x) == ["r1", "r2"] and "api.test A" in list(heat.y)
    assert "≠ answers" in str(heat.text) and "NXDOMAIN" in str(heat.text)
    with pytest.raises(ValueError):
        fig_resolver_matrix(dns(), stat="p42")


def test_dns_latency_marks_failures() -> None:
    fig = fig_dns_latency(dns())
    names = [t.name for t in fig.data]
    assert "r1 failed" in names and "r2" in names
    fig.to_json()
