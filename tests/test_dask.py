"""apiprobe.dask.read_logs: the same rows as apiprobe.read_logs, on the default scheduler and on a real cluster."""

from __future__ import annotations

import gzip
import json
import random
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

pytest.importorskip("dask.dataframe", reason="dask[dataframe] is not installed (pip install 'apiprobe[cluster]')")
pytest.importorskip("distributed", reason="distributed is not installed (pip install 'apiprobe[cluster]')")

import fsspec
from distributed import Client, LocalCluster

import apiprobe
import apiprobe.dask as apiprobe_dask
from apiprobe.demo import write_demo_incident
from apiprobe.errors import DataFormatError, InvalidParameterError
from apiprobe.load.event_store import STORE_SCHEMA, arrow_events_to_pandas
from apiprobe.schema import columns

BLOCK = 256 << 10  # small blocks: the big file splits into many partitions
START = 1773481200.0  # 2026-03-14T09:40:00Z, when the demo incident starts

_ERRORS = (
    ("dial tcp 10.0.0.7:5432: connect: connection refused", 503),
    ("context deadline exceeded", 504),
    ("read tcp 10.0.0.3:51234->10.0.0.9:443: i/o timeout", 502),
    ("x509: certificate has expired or is not yet valid", 502),
    ("pq: sorry, too many clients already", 500),
    ("upstream returned 429 Too Many Requests", 429),
)
_STACK = (
    "goroutine {n} [running]:",
    "main.(*server).handle(0xc000{n:06x}, 0x1)",
    "\t/src/server/handler.go:{n} +0x1d4",
    "created by net/http.(*Server).Serve in goroutine 1",
    "2026/03/14 10:00:00 http: TLS handshake error from 10.0.0.9:{n}: EOF",
)


def _zap_lines(n: int, seed: int) -> list[str]:
    """Zap production lines from three services over ~30 minutes, an error burst in minutes 18–20,
    and the junk real files hold: panics, a long stack dump, blank and cut lines, CRLF endings."""
    rng = random.Random(seed)
    out: list[str] = []
    for i in range(n):
        ts = START + i * 1800.0 / n
        minute = (ts - START) / 60
        burst = 18 <= minute < 20
        svc = rng.choice(("api", "cart", "search"))
        rec: dict[str, Any] = {
            "level": "info",
            "ts": round(ts, 6),
            "logger": "http",
            "caller": f"server/handler.go:{rng.randrange(40, 120)}",
            "msg": "request",
            "service": svc,
            "route": rng.choice(("/api/cart", "/api/checkout", "/api/search")),
            "status": 200,
            "latency": round(rng.uniform(0.001, 0.3), 6) + 0.0000001,
            "trace_id": f"{rng.getrandbits(128):032x}",
            "user": f"u-{rng.randrange(1000)}",
            "bytes": rng.randrange(100, 9000),
        }
        if rng.random() < (0.35 if burst and svc == "cart" else 0.01):
            text, status = _ERRORS[0] if burst else rng.choice(_ERRORS)
            rec.update(level="error", msg="upstream failed", error=text, status=status)
            if rng.random() < 0.3:
                rec["attempt"] = rng.randrange(1, 4)
        line = json.dumps(rec, separators=(",", ":"))
        if i % 997 == 5:
            out.append("panic: runtime error: index out of range [3] with length 3")
        if i % 1501 == 7:
            out.append("")
            out.append("   ")
        if i % 2503 == 11:
            out.append('{"level":"error","ts":17734812')  # a line cut by a crash
        if i % 3001 == 13:
            line += "\r"  # one CRLF line now and then
        out.append(line)
        if i == n // 2:  # a stack dump longer than a block: parsed as zap, never re-detected
            out += [_STACK[k % len(_STACK)].format(n=k) for k in range(6000)]
    return out


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The demo incident's logs, a big zap file with its gzip copy, and a trace export among them."""
    root = tmp_path_factory.mktemp("dasklogs")
    written = write_demo_incident(root)
    folder = root / "logs"
    big = folder / "api.log"
    big.write_text("\n".join(_zap_lines(24_000, seed=5)) + "\n", encoding="utf-8")
    gz = folder / "api-archive.log.gz"
    gz.write_bytes(gzip.compress(big.read_bytes()[: 3 << 20], mtime=0))
    shutil.copy(written["trace_otlp"], folder / "checkout-otlp.json")  # another kind: skipped with a warning
    return {"folder": folder, "big": big, "gz": gz, "gateway": written["log_gateway"]}


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    """A real two-process cluster on loopback."""
    with (
        LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        Client(cluster) as running,
    ):
        yield running


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(["source_file", "line_no"], kind="stable").reset_index(drop=True)


def _attrs(values: pd.Series) -> list[dict[str, str] | None]:
    """Each row's attributes as a dict of text (a struct column or a map column)."""
    out: list[dict[str, str] | None] = []
    for v in values:
        if v is None or v is pd.NA:
            out.append(None)
        elif isinstance(v, dict):  # struct: unset fields are None; values as the store writes them
            out.append({k: x if isinstance(x, str) else json.dumps(x) for k, x in v.items() if x is not None})
        else:
            out.append(dict(v))
    return out


def _assert_same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    """``got`` (dask, computed) holds exactly the rows of ``expected`` (``apiprobe.read_logs``)."""
    assert list(got.columns) == columns("events")
    got, expected = _sorted(got), _sorted(expected)
    assert len(got) == len(expected)
    cols = [c for c in expected.columns if c != "attrs"]
    pd.testing.assert_frame_equal(got[cols], expected[cols])
    want = _attrs(expected["attrs"])
    have = _attrs(got["attrs"])
    diff = [i for i, (a, b) in enumerate(zip(have, want, strict=True)) if a != b]
    assert not diff, f"attrs differ on {len(diff)} rows, first: {have[diff[0]]} != {want[diff[0]]}"


def _pandas(paths: Any) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return apiprobe.read_logs(paths)


# --------------------------------------------------------------------------- default scheduler


def test_folder_equals_read_logs(logs: dict[str, Path]) -> None:
    with pytest.warns(UserWarning, match=r"checkout-otlp\.json"):
        ddf = apiprobe_dask.read_logs(logs["folder"], blocksize=BLOCK)
    meta = arrow_events_to_pandas(STORE_SCHEMA.empty_table().select(columns("events")))
    pd.testing.assert_series_equal(ddf.dtypes, meta.dtypes)
    got = ddf.compute(scheduler="threads")
    expected = _pandas(logs["folder"])
    assert "checkout-otlp.json" not in set(got["source_file"].str.rsplit("/", n=1).str[-1])
    assert (~got["parse_ok"]).sum() > 100  # the junk lines are there, as unparsed rows
    _assert_same(got, expected)


def test_partitions(logs: dict[str, Path]) -> None:
    big = apiprobe_dask.read_logs(logs["big"], blocksize=BLOCK)
    size = logs["big"].stat().st_size
    assert big.npartitions == -(-size // BLOCK) > 10
    assert apiprobe_dask.read_logs(logs["gz"], blocksize=BLOCK).npartitions == 1
    assert apiprobe_dask.read_logs(logs["big"], blocksize=None).npartitions == 1
    assert apiprobe_dask.read_logs([logs["big"], logs["gz"]], blocksize="100MiB").npartitions == 2
    rows = list(big.map_partitions(len).compute(scheduler="threads"))
    assert sum(rows) == len(_pandas(logs["big"])) and min(rows) > 0


def test_blocks_smaller_than_a_line(logs: dict[str, Path], tmp_path: Path) -> None:
    # Lines longer than a block leave empty blocks behind them; each line still comes once, numbered right.
    lines = logs["gateway"].read_text(encoding="utf-8").splitlines()[:150]
    long = json.dumps({"level": "warn", "ts": START + 5, "msg": "big", "body": "x" * 5000})
    small = tmp_path / "gateway-small.log"
    small.write_text("\n".join([*lines[:70], long, long, *lines[70:]]) + "\n", encoding="utf-8")
    expected = _pandas(small)
    tiny = apiprobe_dask.read_logs(small, blocksize=1000)
    assert tiny.npartitions > 50
    _assert_same(tiny.compute(scheduler="sync"), expected)
    _assert_same(apiprobe_dask.read_logs(small, blocksize=None).compute(scheduler="sync"), expected)
    _assert_same(
        apiprobe_dask.read_logs(logs["gateway"], blocksize="64KiB").compute(scheduler="sync"), _pandas(logs["gateway"])
    )


@pytest.mark.parametrize("junk", [b"\x1f\x8b\x08 gzip magic", b"\xff\xfe utf-16 bom", b'\xef\xbb\xbf{"msg":1}'])
def test_block_starting_with_magic_bytes(junk: bytes, tmp_path: Path) -> None:
    # The first line of a block is read as in the file, even when it starts like gzip data or a BOM.
    pad = json.dumps({"level": "info", "ts": START, "msg": "pad", "body": "p" * 600}).encode()
    path = tmp_path / "junk.log"
    path.write_bytes(b"".join([pad, b"\n", junk, b"\n", pad, b"\n", junk, b"\n", pad, b"\n"]))
    ddf = apiprobe_dask.read_logs(path, blocksize=len(pad) - 10)
    got = ddf.compute(scheduler="sync")
    assert ddf.npartitions == 4 and len(got) == 5
    _assert_same(got, _pandas(path))


def test_format_service_regex_as_read_logs(logs: dict[str, Path], tmp_path: Path) -> None:
    got = apiprobe_dask.read_logs(logs["big"], blocksize=BLOCK, format="zap", service="edge")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = apiprobe.read_logs(logs["big"], format="zap", service="edge")
    _assert_same(got.compute(scheduler="threads"), expected)
    text = tmp_path / "plain.txt"
    text.write_text("".join(f"{i} lvl={'E' if i % 7 == 0 else 'I'} hello {i}\n" for i in range(5000)), encoding="utf-8")
    pattern = r"^(?P<attempt>\d+) lvl=(?P<level>\w) (?P<msg>.*)$"
    got = apiprobe_dask.read_logs(text, blocksize=4096, regex=pattern).compute(scheduler="sync")
    _assert_same(got, apiprobe.read_logs(text, regex=pattern))


def test_cut_gzip_keeps_the_lines_before_the_cut(logs: dict[str, Path], tmp_path: Path) -> None:
    data = logs["gz"].read_bytes()
    cut = tmp_path / "cut.log.gz"
    cut.write_bytes(data[: len(data) // 2])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # both readers say the file was cut
        got = apiprobe_dask.read_logs(cut, blocksize=BLOCK).compute(scheduler="sync")
        expected = apiprobe.read_logs(cut)
    assert 0 < len(got) < len(_pandas(logs["gz"]))
    _assert_same(got, expected)


def test_errors(logs: dict[str, Path], tmp_path: Path) -> None:
    gone = tmp_path / "gone.log"
    gone.write_bytes(logs["big"].read_bytes()[: 1 << 20])
    ddf = apiprobe_dask.read_logs(gone, blocksize=BLOCK)
    gone.unlink()
    with pytest.raises(DataFormatError, match=r"gone\.log"):
        ddf.compute(scheduler="sync")
    with pytest.raises(DataFormatError, match="nothing-here"):
        apiprobe_dask.read_logs(tmp_path / "nothing-here.log")
    with pytest.raises(DataFormatError, match=r"checkout-otlp\.json"):  # named explicitly: refused, as read_logs does
        apiprobe_dask.read_logs(logs["folder"] / "checkout-otlp.json")
    for bad in (0, -5, "lots", 1.5, True):
        with pytest.raises(InvalidParameterError, match="blocksize"):
            apiprobe_dask.read_logs(logs["big"], blocksize=bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="format"):
        apiprobe_dask.read_logs(logs["big"], format="log4j")
    with pytest.raises(InvalidParameterError, match="regex"):
        apiprobe_dask.read_logs(logs["big"], regex=r"\d+")
    with pytest.raises(InvalidParameterError, match="fsspec"):
        apiprobe_dask.read_logs("nosuchprotocol://bucket/x.log")


def test_remote_paths_through_fsspec(logs: dict[str, Path]) -> None:
    fs = fsspec.filesystem("memory")
    try:
        for name in ("api.log", "api-archive.log.gz", "payments.log", "checkout-otlp.json"):
            fs.pipe(f"/dasktest/logs/{name}", (logs["folder"] / name).read_bytes())
        with pytest.warns(UserWarning, match=r"checkout-otlp\.json"):
            ddf = apiprobe_dask.read_logs("memory://dasktest/logs/", blocksize=BLOCK)
        assert ddf.npartitions > 3
        # the memory filesystem lives in this process: compute here, not on a cluster
        got = ddf.compute(scheduler="sync")
        names = ("api.log", "api-archive.log.gz", "payments.log")
        assert set(got["source_file"]) == {fs.unstrip_protocol(f"/dasktest/logs/{n}") for n in names}
        got["source_file"] = got["source_file"].str.rsplit("/", n=1).str[-1]
        expected = _pandas([logs["folder"] / n for n in names])
        expected["source_file"] = expected["source_file"].str.rsplit("/", n=1).str[-1]
        _assert_same(got, expected)
        glob = apiprobe_dask.read_logs("memory://dasktest/logs/api*.log", blocksize=BLOCK)
        assert glob.npartitions > 3
        with pytest.raises(DataFormatError, match="no such file"):
            apiprobe_dask.read_logs("memory://dasktest/logs/none.log")
    finally:
        fs.rm("/dasktest", recursive=True)


# --------------------------------------------------------------------------- a real cluster


def test_cluster_equals_read_logs(logs: dict[str, Path], client: Client) -> None:
    with pytest.warns(UserWarning, match=r"checkout-otlp\.json"):
        ddf = apiprobe_dask.read_logs(logs["folder"], blocksize=BLOCK)
    got = client.compute(ddf).result()
    assert len(client.scheduler_info()["workers"]) == 2
    _assert_same(got, _pandas(logs["folder"]))


# --------------------------------------------------------------------------- the analyses on dask
# These need the dask dispatch in apiprobe.analyze (classify_errors per partition; error_counts,
# error_summary and detect_error_faults by map_partitions and reductions).


@pytest.fixture(scope="module")
def classified(logs: dict[str, Path], client: Client) -> tuple[Any, pd.DataFrame]:
    """The folder classified on the cluster (lazy) and with pandas."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ddf: Any = apiprobe_dask.read_logs(logs["folder"], blocksize=BLOCK)  # the analyses are typed for pandas
    return apiprobe.classify_errors(ddf), apiprobe.classify_errors(_pandas(logs["folder"]))


def test_classify_errors_on_dask(classified: tuple[Any, pd.DataFrame]) -> None:
    ddf, pdf = classified
    got = _sorted(ddf.compute())
    want = _sorted(pdf)
    cols = ["error_kind", "error_layer", "retryable", "error_rule"]
    pd.testing.assert_frame_equal(got[cols], want[cols])
    assert want["error_kind"].notna().sum() > 100


def test_error_counts_on_dask(classified: tuple[Any, pd.DataFrame]) -> None:
    ddf, pdf = classified
    got = apiprobe.error_counts(ddf, by=("service", "error_kind"), freq="1min")
    want = apiprobe.error_counts(pdf, by=("service", "error_kind"), freq="1min")
    assert len(want) > 20
    pd.testing.assert_frame_equal(got, want)
    assert got.attrs == want.attrs


def test_error_counts_classify_an_unclassified_dask_frame(logs: dict[str, Path]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ddf: Any = apiprobe_dask.read_logs(logs["folder"], blocksize=BLOCK)
    got = apiprobe.error_counts(ddf, by=("service", "error_kind"))
    want = apiprobe.error_counts(_pandas(logs["folder"]), by=("service", "error_kind"))
    assert int(want["count"].sum()) > 100
    pd.testing.assert_frame_equal(got, want)


def test_error_summary_on_dask(classified: tuple[Any, pd.DataFrame]) -> None:
    ddf, pdf = classified
    pd.testing.assert_frame_equal(apiprobe.error_summary(ddf), apiprobe.error_summary(pdf))


def test_detect_error_faults_on_dask(classified: tuple[Any, pd.DataFrame]) -> None:
    ddf, pdf = classified
    want = apiprobe.detect_error_faults(pdf)
    assert len(want) > 0
    pd.testing.assert_frame_equal(apiprobe.detect_error_faults(ddf), want)
