"""probe_http against the fault lab over real sockets."""

from __future__ import annotations

import asyncio
import json
import subprocess
import warnings

import pandas as pd
import pytest

from apiprobe.errors import InvalidTargetError
from apiprobe.lab import FaultLab
from apiprobe.probe import aprobe_http, probe_http
from apiprobe.schema import PHASES, validate


def one(lab_url: str, **kwargs: object) -> pd.Series:
    df = probe_http(lab_url, count=1, progress=False, **kwargs)  # type: ignore[arg-type]
    validate(df, "probes")
    assert len(df) == 1
    return df.iloc[0]


def test_ok_has_every_plain_http_phase(lab: FaultLab) -> None:
    row = one(lab.url("ok"))
    assert pd.isna(row["error_kind"])
    assert row["status"] == 200
    for phase in ("connect_ms", "request_ms", "ttfb_ms", "transfer_ms", "total_ms"):
        assert row[phase] > 0, phase
    assert pd.isna(row["tls_ms"])  # plain HTTP: no TLS phase, NA rather than 0
    assert pd.isna(row["dns_ms"]) and row["resolver"] == "literal"
    assert row["total_ms"] >= row[["connect_ms", "request_ms", "ttfb_ms", "transfer_ms"]].sum()
    assert row["bytes"] > 0 and row["http_version"] == "HTTP/1.1"
    assert not row["reused_conn"]


def test_fixed_delay_is_measured_as_server_wait(lab: FaultLab) -> None:
    df = probe_http(lab.url("delay", ms=50), count=5, interval=0.05, progress=False)
    assert df["error_kind"].isna().all()
    assert (df["ttfb_ms"] >= 50).all()
    # the delay sits in the server-wait phase, not in connect or transfer (medians: the machine is shared)
    assert df["ttfb_ms"].median() > 5 * df["connect_ms"].median()
    assert df["ttfb_ms"].median() > 5 * df["transfer_ms"].median()


@pytest.mark.parametrize(
    ("endpoint", "kind", "measured", "missing"),
    [
        ("blackhole", "read_timeout", ["connect_ms", "request_ms"], ["ttfb_ms", "transfer_ms", "total_ms"]),
        ("refused", "connect_refused", [], ["connect_ms", "ttfb_ms", "total_ms"]),
        ("syn_drop", "connect_timeout", [], ["connect_ms", "request_ms", "ttfb_ms", "total_ms"]),
        ("slow_body", "body_timeout", ["connect_ms", "ttfb_ms"], ["transfer_ms", "total_ms"]),
        ("reset", "connection_reset", ["connect_ms", "ttfb_ms"], ["transfer_ms", "total_ms"]),
        ("close", "connection_reset", ["connect_ms"], ["ttfb_ms", "total_ms"]),
        ("garbage", "protocol_error", ["connect_ms"], ["ttfb_ms", "total_ms"]),
    ],
)
def test_each_fault_is_a_row_with_its_error_kind(
    lab: FaultLab, endpoint: str, kind: str, measured: list[str], missing: list[str]
) -> None:
    row = one(lab.url(endpoint), timeout=1.2)
    assert row["error_kind"] == kind, row["error"]
    assert isinstance(row["error"], str) and row["error"]
    for phase in measured:
        assert row[phase] > 0, phase
    for phase in missing:
        assert pd.isna(row[phase]), f"{phase} should be NA after {kind}, got {row[phase]}"
    assert pd.isna(row["status"]) or endpoint in ("slow_body", "reset")


def test_flaky_endpoint_answers_some_503s(lab: FaultLab) -> None:
    df = probe_http(lab.url("flaky", p=0.5), count=20, interval=0, concurrency=4, progress=False)
    assert df["error_kind"].isna().all()
    assert set(df["status"].dropna().unique()) == {200, 503}


def test_https_with_lab_ca_measures_tls(lab: FaultLab) -> None:
    row = one(lab.url("https_ok"), cafile=str(lab.ca_path))
    assert pd.isna(row["error_kind"]), row["error"]
    assert row["tls_ms"] > 0 and row["tls_version"].startswith("TLSv1.")
    assert row["scheme"] == "https"


def test_https_without_trusting_the_lab_ca_is_untrusted(lab: FaultLab) -> None:
    row = one(lab.url("https_ok"))
    assert row["error_kind"] == "tls_untrusted"
    assert "certificate" in row["error"].lower() and "apiprobe tls" in row["error"]
    assert row["connect_ms"] > 0 and pd.isna(row["tls_ms"])


def test_https_name_not_in_certificate_is_a_hostname_error(lab: FaultLab) -> None:
    url = lab.url("https_ok").replace("127.0.0.1", "other.test")
    row = one(url, cafile=str(lab.ca_path), resolver={"other.test": "127.0.0.1"})
    assert row["error_kind"] == "tls_hostname", row["error"]


def test_verify_false_warns_and_still_measures(lab: FaultLab) -> None:
    with pytest.warns(UserWarning, match="verification is OFF"):
        row = one(lab.url("https_ok"), verify=False)
    assert pd.isna(row["error_kind"]) and row["tls_ms"] > 0


def test_static_resolver_times_dns_and_sends_host_and_sni(lab: FaultLab) -> None:
    url = lab.url("https_ok").replace("127.0.0.1", "lab.apiprobe.test")
    row = one(url, cafile=str(lab.ca_path), resolver={"lab.apiprobe.test": "127.0.0.1"})
    # certificate verification against the name (not the IP) succeeded: SNI and Host carried the name
    assert pd.isna(row["error_kind"]), row["error"]
    assert row["ip"] == "127.0.0.1" and row["host"] == "lab.apiprobe.test"
    assert row["resolver"] == "static" and row["dns_ms"] >= 0


def test_slow_resolver_is_measured_and_unknown_name_fails(lab: FaultLab) -> None:
    async def slow(host: str) -> list[str]:
        await asyncio.sleep(0.03)
        return ["127.0.0.1"]

    url = lab.url("ok").replace("127.0.0.1", "svc.test")
    row = one(url, resolver=slow)
    # uvloop keeps timers to the millisecond, so a 30 ms sleep may end up to 1 ms early
    assert row["dns_ms"] >= 29 and row["resolver"] == "slow"
    row = one(url, resolver={"other.test": "127.0.0.1"})
    assert row["error_kind"] == "dns_failure"
    assert pd.isna(row["dns_ms"]) and pd.isna(row["connect_ms"])


def test_keepalive_records_reused_connections(lab: FaultLab) -> None:
    df = probe_http(lab.url("ok"), count=4, interval=0.02, concurrency=1, keepalive=True, progress=False)
    assert not df["reused_conn"].iloc[0]
    assert df["reused_conn"].iloc[1:].all()
    assert df["connect_ms"].iloc[1:].isna().all()  # a reused connection has no connect phase


def test_cold_by_default_every_attempt_connects(lab: FaultLab) -> None:
    df = probe_http(lab.url("ok"), count=4, interval=0.02, concurrency=1, progress=False)
    assert (~df["reused_conn"]).all() and df["connect_ms"].notna().all()


def test_body_capture_is_size_capped(lab: FaultLab) -> None:
    df = probe_http(lab.url("ok"), body_limit=5, progress=False)
    assert len(df["body"].iloc[0]) == 5 and df["bytes"].iloc[0] > 5


def test_secrets_in_urls_are_redacted(lab: FaultLab) -> None:
    row = one(lab.url("ok") + "?token=s3cret&page=2")
    assert "s3cret" not in row["url"] and "s3cret" not in row["target"]
    assert "page=2" in row["url"]


@pytest.mark.parametrize("bad", ["not a url", "ftp://example.test/", "http://", "example.test/x", ""])
def test_garbage_urls_raise_invalid_target(bad: str) -> None:
    with pytest.raises(InvalidTargetError):
        probe_http(bad)


def test_works_inside_a_running_event_loop(lab: FaultLab) -> None:
    async def main() -> tuple[pd.DataFrame, pd.DataFrame]:
        sync_df = probe_http(lab.url("ok"), count=2, interval=0, progress=False)  # as in Jupyter
        async_df = await aprobe_http(lab.url("ok"), count=2, interval=0, progress=False)
        return sync_df, async_df

    sync_df, async_df = asyncio.run(main())
    assert (sync_df["status"] == 200).all() and (async_df["status"] == 200).all()


def test_interval_paces_attempts(lab: FaultLab) -> None:
    df = probe_http(lab.url("ok"), count=3, interval=0.2, progress=False)
    gaps = df["ts"].diff().dt.total_seconds().dropna()
    assert (gaps >= 0.18).all()


def test_many_targets_with_concurrency_keep_one_row_per_attempt(lab: FaultLab) -> None:
    urls = [lab.url("ok"), lab.url("delay", ms=20), lab.url("refused")]
    df = probe_http(urls, count=5, interval=0, concurrency=8, progress=False)
    assert df.groupby("target").size().to_dict() == {u: 5 for u in urls}
    assert df["run_id"].nunique() == 1


def _curl_phases(curl: str, url: str) -> dict[str, float]:
    out = subprocess.run(
        [curl, "-s", "-o", "/dev/null", "-w", "%{json}", url], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    w = json.loads(out)
    return {
        "connect_ms": 1000 * (w["time_connect"] - w["time_namelookup"]),
        "ttfb_ms": 1000 * (w["time_starttransfer"] - w["time_pretransfer"]),
    }


def test_phases_agree_with_curl(lab: FaultLab, curl: str) -> None:
    url = lab.url("delay", ms=80)
    ours = probe_http(url, count=7, interval=0.05, progress=False)
    theirs = pd.DataFrame([_curl_phases(curl, url) for _ in range(7)])
    assert ours["error_kind"].isna().all()
    # both see the 80 ms server wait; medians agree within a generous margin for a shared machine
    assert theirs["ttfb_ms"].median() >= 80 and ours["ttfb_ms"].median() >= 80
    assert abs(ours["ttfb_ms"].median() - theirs["ttfb_ms"].median()) < 20
    assert abs(ours["connect_ms"].median() - theirs["connect_ms"].median()) < 5


def test_no_warnings_on_normal_runs(lab: FaultLab) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        probe_http(lab.url("ok"), progress=False)


def test_phase_columns_are_float_ms() -> None:
    from apiprobe.schema import PROBES

    dtypes = {c.name: c.dtype for c in PROBES}
    assert all(dtypes[p] == "float64" for p in (*PHASES, "total_ms"))


def test_rate_and_duration(lab: FaultLab) -> None:
    df = probe_http(lab.url("ok"), interval=0.05, duration=0.25, progress=False)
    assert len(df) == 5
    df = probe_http(lab.url("ok"), count=6, interval=0, rate=20, concurrency=6, progress=False)
    span = (df["ts"].max() - df["ts"].min()).total_seconds()
    assert span >= 0.2  # six starts at most 20/s apart need at least 5 × 50 ms


def test_ipv6_loopback() -> None:
    import socket

    try:
        socket.socket(socket.AF_INET6).bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    with FaultLab(host="::1") as lab6:
        df = probe_http([lab6.url("ok"), lab6.url("https_ok")], cafile=str(lab6.ca_path), progress=False)
    assert (df["status"] == 200).all() and (df["ip"] == "::1").all()
    assert df["tls_ms"].notna().sum() == 1


def test_resolver_that_never_answers_is_a_dns_timeout(lab: FaultLab) -> None:
    async def stuck(host: str) -> list[str]:
        await asyncio.sleep(30)
        return ["127.0.0.1"]

    row = one(lab.url("ok").replace("127.0.0.1", "svc.test"), resolver=stuck, timeout=0.3)
    assert row["error_kind"] == "dns_timeout"
    assert pd.isna(row["dns_ms"]) and pd.isna(row["ip"])


@pytest.mark.parametrize(
    ("endpoint", "kind"),
    [
        ("https_expired", "tls_expired"),
        ("https_wrong_host", "tls_hostname"),
        ("https_missing_intermediate", "tls_untrusted"),
        ("https_self_signed", "tls_untrusted"),
        ("https_untrusted_root", "tls_untrusted"),
    ],
)
def test_tls_failures_are_named_like_go_names_them(lab: FaultLab, endpoint: str, kind: str) -> None:
    row = one(lab.url(endpoint), cafile=str(lab.ca_path))
    assert row["error_kind"] == kind, row["error"]
    assert pd.isna(row["tls_ms"]) and row["connect_ms"] > 0
