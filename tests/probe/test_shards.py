"""probe_http(workers=N): the same rows from several processes as from one."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from apiprobe.errors import InvalidParameterError
from apiprobe.lab import FaultLab
from apiprobe.probe import probe_http


def _summary(df: pd.DataFrame) -> dict[str, list[str]]:
    return {t: sorted(g["error_kind"].fillna("ok")) for t, g in df.groupby("target")}


def test_workers_return_the_rows_one_process_returns(lab: FaultLab) -> None:
    urls = [lab.url("ok"), lab.url("delay", ms=20), lab.url("refused"), lab.url("https_ok"), lab.url("garbage")]
    kwargs = {"count": 6, "interval": 0.02, "concurrency": 8, "cafile": str(lab.ca_path), "timeout": 2}
    one = probe_http(urls, progress=False, **kwargs)  # type: ignore[arg-type]
    two = probe_http(urls, progress=False, workers=2, **kwargs)  # type: ignore[arg-type]
    assert len(two) == len(one) == 30
    assert _summary(two) == _summary(one)
    assert two["ts"].is_monotonic_increasing and two["run_id"].nunique() == 1
    assert list(two.columns) == list(one.columns) and (two.dtypes == one.dtypes).all()
    ok = two[two["error_kind"].isna()]
    assert ok[["connect_ms", "ttfb_ms", "total_ms"]].notna().all().all()
    assert two.loc[two["target"] == lab.url("https_ok"), "tls_ms"].notna().all()


def test_more_workers_than_attempts_or_slots_is_fine(lab: FaultLab) -> None:
    df = probe_http(lab.url("ok"), count=3, interval=0, concurrency=2, workers=8, progress=False)
    assert len(df) == 3 and (df["status"] == 200).all()


def test_workers_must_be_positive() -> None:
    with pytest.raises(InvalidParameterError, match="workers must be at least 1"):
        probe_http("http://127.0.0.1:9/", workers=0)


def test_a_resolver_function_cannot_cross_to_a_worker(lab: FaultLab) -> None:
    def mine(host: str) -> list[str]:
        return ["127.0.0.1"]

    with pytest.raises(InvalidParameterError, match="resolver function 'mine'"):
        probe_http(lab.url("ok").replace("127.0.0.1", "svc.test"), count=4, interval=0, resolver=mine, workers=2)
    # a mapping pickles: fine
    df = probe_http(lab.url("ok").replace("127.0.0.1", "svc.test"), count=4, interval=0, workers=2,
                    resolver={"svc.test": "127.0.0.1"}, progress=False)  # fmt: skip
    assert (df["status"] == 200).all() and (df["resolver"] == "static").all()


def test_unverified_runs_warn_once_in_the_caller(lab: FaultLab) -> None:
    with pytest.warns(UserWarning, match="verification is OFF") as caught:
        df = probe_http(lab.url("https_ok"), count=4, interval=0, verify=False, workers=2, progress=False)
    assert len([w for w in caught if "verification is OFF" in str(w.message)]) == 1
    assert (df["status"] == 200).all()


def test_an_unguarded_script_gets_a_clear_error(tmp_path: Path, lab: FaultLab) -> None:
    # Each worker re-imports the calling script; one that probes at import time cannot start them.
    script = tmp_path / "unguarded.py"
    script.write_text(
        textwrap.dedent(f"""
        from apiprobe.probe import probe_http
        probe_http({lab.url("ok")!r}, count=4, interval=0, workers=2, progress=False)
        """)
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "ProbeWorkerError" in done.stderr and 'if __name__ == "__main__":' in done.stderr


def test_a_cancelled_run_stops_its_workers(lab: FaultLab) -> None:
    import asyncio
    import multiprocessing

    from apiprobe.probe import aprobe_http

    async def main() -> None:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(aprobe_http(lab.url("ok"), count=8, interval=1, workers=2, progress=False), 1.0)

    asyncio.run(main())
    assert not multiprocessing.active_children()  # killed, not left to finish their 8-second runs
