"""probe_tcp against the fault lab."""

from __future__ import annotations

from urllib.parse import urlsplit

import pandas as pd
import pytest

from apiprobe.errors import InvalidTargetError
from apiprobe.lab import FaultLab
from apiprobe.probe import probe_tcp
from apiprobe.schema import validate


def hostport(url: str) -> str:
    return urlsplit(url).netloc


def test_open_refused_and_dropped_ports(lab: FaultLab) -> None:
    targets = [hostport(lab.url("ok")), hostport(lab.url("refused")), hostport(lab.url("syn_drop"))]
    df = probe_tcp(targets, count=3, interval=0.01, timeout=0.5, progress=False)
    validate(df, "pings")
    by = {t: g for t, g in df.groupby("target")}
    ok, refused, dropped = (by[t] for t in targets)
    assert ok["ok"].all() and (ok["rtt_ms"] > 0).all() and ok["error_kind"].isna().all()
    assert (refused["error_kind"] == "connect_refused").all() and refused["rtt_ms"].isna().all()
    assert (dropped["error_kind"] == "connect_timeout").all() and dropped["rtt_ms"].isna().all()
    assert sorted(ok["seq"]) == [0, 1, 2]


def test_url_targets_and_dns_failures(lab: FaultLab) -> None:
    df = probe_tcp(
        [lab.url("ok"), "nowhere.test:80"],
        count=2,
        interval=0,
        progress=False,
        resolver={"somewhere.test": "127.0.0.1"},
    )
    bad = df[df["target"] == "nowhere.test:80"]
    assert (bad["error_kind"] == "dns_failure").all() and (~bad["ok"]).all()
    assert df[df["target"] == lab.url("ok")]["ok"].all()


@pytest.mark.parametrize("bad", ["no-port-here", "host:notaport", "", "ftp://x/"])
def test_bad_targets_raise(bad: str) -> None:
    with pytest.raises(InvalidTargetError):
        probe_tcp(bad)


def test_rtt_is_na_not_zero_on_failure(lab: FaultLab) -> None:
    df = probe_tcp(hostport(lab.url("refused")), count=2, interval=0, progress=False)
    assert df["rtt_ms"].isna().all()
    assert not (df["rtt_ms"] == 0).any()
    assert pd.api.types.is_float_dtype(df["rtt_ms"])
