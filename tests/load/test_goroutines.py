"""Goroutine dumps: the shared corpus, a dump from a real Go program, debug=1 and broken input."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from apiprobe.analyze.pool import detect_pool_exhaustion, group_goroutines
from apiprobe.errors import DataFormatError
from apiprobe.lab._pool import PoolServer
from apiprobe.load.goroutines import classify_wait_site, parse_goroutines, read_goroutines

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus" / "goroutines"

GO_PROGRAM = """package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/pprof"
	"strconv"
	"time"
)

func fetch(client *http.Client, url string) {
	resp, err := client.Get(url)
	if err != nil {
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

func main() {
	n, _ := strconv.Atoi(os.Args[2])
	maxConns, _ := strconv.Atoi(os.Args[3])
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: maxConns}, Timeout: 60 * time.Second}
	for i := 0; i < n; i++ {
		go fetch(client, os.Args[1])
	}
	time.Sleep(800 * time.Millisecond)
	pprof.Lookup("goroutine").WriteTo(os.Stdout, 2)
	fmt.Println("=====")
	pprof.Lookup("goroutine").WriteTo(os.Stdout, 1)
	os.Exit(0)
}
"""


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(CORPUS.glob("*.txt"))


@pytest.fixture(params=[str(p) for p in corpus_files()] or [""], ids=lambda p: Path(p).name or "absent")
def corpus_dump(request: pytest.FixtureRequest) -> Path:
    if not request.param:
        pytest.skip(f"shared corpus not found at {CORPUS}")
    return Path(request.param)


def test_corpus_dumps_parse(corpus_dump: Path) -> None:
    text = corpus_dump.read_text()
    df = read_goroutines(corpus_dump)
    headers = re.findall(r"^goroutine (\d+) \[", text, flags=re.M)
    assert len(df) == len(headers)
    assert df["goroutine_id"].tolist() == [int(h) for h in headers]
    assert df.attrs["parse_errors"] == 0
    assert (df["count"] == 1).all()
    assert df["source"].eq(corpus_dump.name).all()
    running = df[df["goroutine_id"] == 1].iloc[0]
    assert running["state"] == "running" and running["wait_site"] == "running"
    assert running["top_function"] == "main.getStackBuffer"
    assert running["stack"].split("\n") == ["main.getStackBuffer", "main.main"]
    assert running["frames"].split("\n")[0].endswith("internal/stack/testdata/http.go:44")
    created = df.set_index("goroutine_id")["created_by"]
    assert set(created.dropna()) == {"main.start", "net/http.(*Transport).dialConn", "net/http.(*Server).Serve"}
    assert set(df.loc[df["state"] == "IO wait", "wait_site"]) == {"net_io"}
    # every group appears once per dump (no two goroutines share a stack here)
    assert group_goroutines(df)["count"].sum() == len(df)


def test_created_in_and_ancestors() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    new = read_goroutines(CORPUS / "goleak-http.txt").set_index("goroutine_id")
    assert new.at[4, "created_in"] == 1 and new.at[20, "created_in"] == 5
    old = read_goroutines(CORPUS / "goleak-http.go1.20.txt")
    assert old["created_in"].isna().all() and old["created_by"].notna().sum() == 4
    anc = read_goroutines(CORPUS / "goleak-http.tracebackancestors.txt").set_index("goroutine_id")
    # ancestor sections are not part of the goroutine's own stack, and their "created by" is ignored
    assert anc.at[24, "stack"] == "net/http.(*persistConn).readLoop"
    assert anc.at[24, "created_by"] == "net/http.(*Transport).dialConn"
    assert anc.at[24, "created_in"] == 21 and anc.at[24, "ancestors"] == "21,1"
    assert anc.at[4, "ancestors"] == "20,1"
    # the same program under the three Go versions yields the same groups
    assert set(anc["group_id"]) == set(new["group_id"]) == set(old["group_id"])


def test_header_flags_and_malformed_lines() -> None:
    text = (
        "panic: boom\n\n"
        "goroutine 7 [chan receive, 12 minutes, locked to thread]:\n"
        "main.worker(0xc000010000)\n"
        "\t/src/main.go:10 +0x1d\n"
        "this line is garbage\n"
        "created by main.main in goroutine 1\n"
        "\t/src/main.go:5 +0x2a\n\n"
        "goroutine 9 [sync.Mutex.Lock]:\n"
        "sync.runtime_SemacquireMutex(0x0?, 0x0?, 0x0?)\n"
        "\t/go/src/runtime/sema.go:77 +0x25\n"
        "sync.(*Mutex).lockSlow(0xc000010010)\n"
        "\t/go/src/sync/mutex.go:171 +0x165\n"
        "sync.(*Mutex).Lock(...)\n"
        "\t/go/src/sync/mutex.go:90\n"
        "main.(*Cache).Get(0xc000010010)\n"
        "\t/src/cache.go:9 +0x1d\n"
        "...additional frames elided...\n"
    )
    df = parse_goroutines(text).set_index("goroutine_id")
    assert df.attrs["parse_errors"] == 1 and df.attrs["bad_lines"][0][1] == "this line is garbage"
    assert df.at[7, "state"] == "chan receive" and df.at[7, "wait_minutes"] == 12.0 and df.at[7, "locked"]
    assert df.at[7, "wait_site"] == "chan_receive" and df.at[7, "created_in"] == 1
    assert df.at[9, "wait_site"] == "mutex" and bool(df.at[9, "truncated"])
    assert df["wait_minutes"].isna().loc[9]
    assert df.at[9, "top_function"] == "sync.runtime_SemacquireMutex"
    assert df.at[9, "app_function"] == "main.(*Cache).Get"


@pytest.mark.parametrize(
    ("state", "funcs", "site"),
    [
        ("select", ["net/http.(*Transport).getConn", "main.f"], "http_pool_wait"),
        ("select", ["database/sql.(*DB).conn", "database/sql.(*DB).query"], "sql_pool_wait"),
        ("semacquire", ["sync.runtime_SemacquireRWMutexR", "sync.(*RWMutex).RLock"], "rwmutex"),
        ("semacquire", ["sync.runtime_Semacquire", "sync.(*WaitGroup).Wait"], "waitgroup"),
        ("chan send", ["main.produce"], "chan_send"),
        ("IO wait", ["internal/poll.runtime_pollWait"], "net_io"),
        ("sleep", ["time.Sleep", "main.loop"], "sleep"),
        ("syscall", ["syscall.Syscall"], "syscall"),
        ("runnable", ["main.spin"], "runnable"),
        ("GC worker (idle)", ["runtime.gcBgMarkWorker"], "gc_idle"),
        (None, ["runtime.selectgo", "main.loop"], "select"),
        ("select", ["main.loop"], "select"),
    ],
)
def test_classify_wait_site(state: str | None, funcs: list[str], site: str) -> None:
    assert classify_wait_site(state, funcs) == site


def test_unreadable_input(tmp_path: Path) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("hello\nworld\n")
    with pytest.raises(DataFormatError, match=r"notes\.txt: line 1"):
        read_goroutines(bad)
    gz = tmp_path / "goroutine.pb.gz"
    gz.write_bytes(b"\x1f\x8b\x08\x00" + b"\x00" * 20)
    with pytest.raises(DataFormatError, match=r"goroutine\.pb\.gz: corrupt gzip data"):
        read_goroutines(gz)
    with pytest.raises(DataFormatError, match="cannot read"):
        read_goroutines(tmp_path / "missing.txt")


@pytest.fixture(scope="module")
def go_dump(go_toolchain: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """debug=2 and debug=1 dumps of a real Go program, once per toolchain (Go 1.19 and current Go)."""
    go = go_toolchain.go
    work = tmp_path_factory.mktemp(f"poolwait-{go_toolchain.version}")
    src = work / "src" / "poolwait"
    src.mkdir(parents=True)
    (src / "main.go").write_text(GO_PROGRAM)
    env = dict(os.environ)
    env.update(
        GOPATH=str(work),
        GO111MODULE="off",
        GOPROXY="off",
        GOTOOLCHAIN="local",
        GOFLAGS="",
        GOCACHE=str(work / "cache"),
        HOME=str(work),
        CGO_ENABLED="0",
    )
    exe = work / "poolwait"
    build = subprocess.run(
        [go, "build", "-o", str(exe), "poolwait"], cwd=work, env=env, capture_output=True, text=True, timeout=300
    )
    assert build.returncode == 0, build.stderr
    with PoolServer(capacity=2, service_ms=5000) as upstream:
        run = subprocess.run([str(exe), upstream.url, "20", "2"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    debug2, debug1 = run.stdout.split("=====\n")
    return debug2, debug1


def test_real_go_dump_shows_pool_exhaustion(go_dump: tuple[str, str], go_toolchain: Any) -> None:
    debug2, _ = go_dump
    df = parse_goroutines(debug2, source="poolwait")
    assert len(df) == len(re.findall(r"^goroutine \d+ \[", debug2, flags=re.M))
    # "created by F in goroutine N": Go 1.21 and later name the parent goroutine, 1.19 does not
    assert bool(re.search(r"^created by \S+ in goroutine \d+$", debug2, flags=re.M)) == (go_toolchain.minor >= 21)
    assert df["created_by"].notna().sum() >= 20
    assert not df["created_by"].dropna().str.contains(" in goroutine").any()  # the function only
    assert df["created_in"].notna().any() == (go_toolchain.minor >= 21)  # ... and the parent in created_in
    # the application frame names the caller for every pool waiter (main is application code)
    waiters = df[df["wait_site"] == "http_pool_wait"]
    assert waiters["app_function"].notna().all() and waiters["app_function"].str.startswith("main.").all()
    assert df.attrs["parse_errors"] == 0
    waiting = int((df["wait_site"] == "http_pool_wait").sum())
    assert 16 <= waiting <= 18
    assert int((df["wait_site"] == "http_in_flight").sum()) == 20 - waiting
    findings = detect_pool_exhaustion(goroutines=df)
    assert len(findings) == 1
    f = findings.iloc[0]
    assert f["fault"] == "pool_exhaustion" and f["severity"] == "critical" and f["handbook_ref"] == "§2.5"
    assert f["value"] == waiting and f["threshold"] == 2.0
    assert f"{waiting} goroutines wait for a connection from an HTTP pool of 2 (MaxConnsPerHost)" in f["evidence"]


def test_real_go_debug1_profile(go_dump: tuple[str, str]) -> None:
    debug2, debug1 = go_dump
    d1 = parse_goroutines(debug1)
    d2 = parse_goroutines(debug2)
    assert d1.attrs["format"] == "debug=1" and d1.attrs["parse_errors"] == 0
    assert d1["goroutine_id"].isna().all() and d1["state"].isna().all()
    assert int(d1["count"].sum()) == d1.attrs["total"]
    pool1 = d1[d1["wait_site"] == "http_pool_wait"]
    assert len(pool1) == 1 and int(pool1["count"].iloc[0]) >= 16
    # the same stacks get the same group ids in both formats
    assert pool1["group_id"].iloc[0] in set(d2.loc[d2["wait_site"] == "http_pool_wait", "group_id"])
    assert detect_pool_exhaustion(goroutines=d1, pool_size=2)["value"].iloc[0] == pool1["count"].iloc[0]


#: Module-path shapes of real services (issue 11): only a first path element without a dot is
#: the standard library (Go's own rule); golang.org/x, gopkg.in and go.etcd.io are not.
MODULE_PATH_DUMP = """goroutine 7 [select, 3 minutes]:
net/http.(*Transport).getConn(0xc0001, 0xc0002, {0x0, {0xc0003, 0x4}, {0xc0004, 0xe}, 0x0})
\t/usr/local/go/src/net/http/transport.go:1406 +0x5a5
net/http.(*Transport).roundTrip(0xc0001, 0xc0005)
\t/usr/local/go/src/net/http/transport.go:595 +0x73a
net/http.(*Client).Do(...)
\t/usr/local/go/src/net/http/client.go:590
github.com/acme/payments/internal/ledger.(*Client).Post(0xc0006, {0xc0007, 0x10})
\t/src/internal/ledger/client.go:88 +0x1d1
created by github.com/acme/payments/internal/server.(*Server).handle in goroutine 1
\t/src/internal/server/server.go:42 +0x85

goroutine 8 [IO wait]:
internal/poll.runtime_pollWait(0x7f, 0x72)
\t/usr/local/go/src/runtime/netpoll.go:345 +0x85
golang.org/x/net/http2.(*ClientConn).readLoop(0xc0008)
\t/go/pkg/mod/golang.org/x/net@v0.30.0/http2/transport.go:2251 +0x1f
created by golang.org/x/net/http2.(*Transport).newClientConn in goroutine 7
\t/go/pkg/mod/golang.org/x/net@v0.30.0/http2/transport.go:870 +0xc53

goroutine 9 [chan receive]:
gopkg.in/yaml.v3.(*decoder).unmarshal(0xc0009)
\t/go/pkg/mod/gopkg.in/yaml.v3@v3.0.1/decode.go:500 +0x2f
go.etcd.io/etcd/client/v3.(*watchGrpcStream).run(0xc000a)
\t/go/pkg/mod/go.etcd.io/etcd/client/v3@v3.5.15/watch.go:551 +0x3a5

goroutine 10 [sync.Mutex.Lock]:
sync.(*Mutex).Lock(...)
\t/usr/local/go/src/sync/mutex.go:90
main.(*cache).get(0xc000b)
\t/src/main.go:31 +0x2b
"""


def test_app_function_is_the_first_frame_outside_the_standard_library() -> None:
    df = parse_goroutines(MODULE_PATH_DUMP, source="modules.txt").set_index("goroutine_id")
    assert df.at[7, "app_function"] == "github.com/acme/payments/internal/ledger.(*Client).Post"
    assert df.at[8, "app_function"] == "golang.org/x/net/http2.(*ClientConn).readLoop"
    assert df.at[9, "app_function"] == "gopkg.in/yaml.v3.(*decoder).unmarshal"
    assert df.at[10, "app_function"] == "main.(*cache).get"


def test_pool_exhaustion_names_the_calling_module() -> None:
    waiting = MODULE_PATH_DUMP.split("\n\n")[0]  # goroutine 7, waiting for a connection
    waits = "\n\n".join(waiting.replace("goroutine 7 ", f"goroutine {100 + i} ") for i in range(12))
    groups = group_goroutines(parse_goroutines(waits, source="pool.txt"))
    assert groups.at[0, "count"] == 12
    assert groups.at[0, "app_function"] == "github.com/acme/payments/internal/ledger.(*Client).Post"


TWO = "goroutine 1 [running]:\nmain.f()\n\t/a.go:1 +0x1\n\ngoroutine 2 [select]:\nmain.g()\n\t/a.go:2 +0x2\n"


def test_bom_keeps_the_first_goroutine() -> None:
    for data in ("\ufeff" + TWO, b"\xef\xbb\xbf" + TWO.encode()):
        df = parse_goroutines(data, source="bom.txt")
        assert df["goroutine_id"].tolist() == [1, 2]


def test_text_before_the_first_goroutine_is_counted() -> None:
    df = parse_goroutines("panic: boom\n\x07garbled\ufffd line\n\n" + TWO, source="p.txt")
    assert len(df) == 2
    assert df.attrs["preamble_lines"] == 2 and df.attrs["preamble"][0] == "panic: boom"


def test_numbers_beyond_int64_are_na_and_counted() -> None:
    big = "9" * 25
    text = (
        f"goroutine {big} [select, {big} minutes]:\nmain.f()\n\t/a.go:1 +0x1\n"
        f"created by main.main in goroutine {big}\n\t/a.go:3 +0x3\n\n" + TWO
    )
    df = parse_goroutines(text, source="big.txt")
    assert len(df) == 3 and df["goroutine_id"].isna().sum() == 1 and df["created_in"].isna().all()
    assert df.attrs["parse_errors"] == 2
    assert df["wait_minutes"].iloc[0] == float(big)
    d1 = parse_goroutines(
        f"goroutine profile: total 3\n{big} @ 0x1 0x2\n#\t0x1\tmain.f+0x1\t/a.go:1\n", source="d1.txt"
    )
    assert d1["count"].isna().all() and d1.attrs["parse_errors"] == 1


def test_truncated_gzip_text_dump_keeps_what_was_written(tmp_path: Path) -> None:
    import gzip

    whole = gzip.compress((TWO * 200).encode())
    path = tmp_path / "goroutines.txt.gz"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.warns(UserWarning, match="cut short"):
        df = read_goroutines(path)
    assert 0 < len(df) < 400 and "cut short" in df.attrs["note"]


# -- real dumps from public repositories and from Go itself (tests/fixtures/realworld/goroutines) --

REAL = REPO / "tests" / "fixtures" / "realworld" / "goroutines"
LEDGER = REAL / "ledger"  # the Go program behind the ledger-*.txt dumps
_HEAD = re.compile(r"^goroutine (\d+)(?: gp=\S+ m=\S+(?: mp=\S+)?)? \[([^\]]*)\]:", re.M)
_CREATED_LINE = re.compile(r"^created by (\S+?)(?: in goroutine (\d+))?$", re.M)
_FUNC_FILE = re.compile(r"^(\S.*)\([^()]*\)\n\t(\S+?):\d+", re.M)


def _blocks(text: str) -> list[dict[str, Any]]:
    """Each goroutine of a debug=2 dump, read with plain regular expressions (not apiprobe's parser)."""
    heads = list(_HEAD.finditer(text))
    out = []
    for m, nxt in zip(heads, [*heads[1:], None], strict=True):
        body = text[m.end() : nxt.start() if nxt else len(text)]
        own = body.split("\n[originating from goroutine", 1)[0]  # tracebackancestors sections aside
        parts = [p.strip() for p in m[2].split(",")]
        minutes = [int(p.split()[0]) for p in parts if re.fullmatch(r"\d+ minutes?", p)]
        created = _CREATED_LINE.search(own)
        frames = [(f, path) for f, path in _FUNC_FILE.findall(own.split("\ncreated by ", 1)[0]) if f != "created by"]
        out.append(
            {
                "id": int(m[1]),
                "state": ", ".join(
                    p for p in parts if p != "locked to thread" and not re.fullmatch(r"\d+ minutes?", p)
                ),
                "minutes": float(minutes[0]) if minutes else None,
                "locked": "locked to thread" in parts,
                "created_by": created[1] if created else None,
                "created_in": int(created[2]) if created and created[2] else None,
                "frames": frames,
            }
        )
    return out


def _goroot(text: str) -> str | None:
    """GOROOT's src directory as the dump shows it (the directory holding runtime/*.go)."""
    m = re.search(r"^\t(\S*?/src/)runtime/\w+\.go:\d+", text, flags=re.M)
    return m[1] if m else None


REAL_TEXT = sorted(p.name for p in REAL.glob("*.txt") if p.name.startswith(("gostackparse-", "panicparse-", "ledger-")))


@pytest.mark.parametrize("name", [n for n in REAL_TEXT if "debug1" not in n and "errorhandling" not in n])
def test_real_dumps_agree_with_an_independent_count(name: str) -> None:
    text = (REAL / name).read_text()
    expected = _blocks(text)
    df = read_goroutines(REAL / name)
    assert df.attrs["format"] == "debug=2" and df.attrs["parse_errors"] == 0
    assert df["goroutine_id"].tolist() == [b["id"] for b in expected]
    assert df["state"].tolist() == [b["state"] for b in expected]
    assert [None if pd.isna(m) else m for m in df["wait_minutes"]] == [b["minutes"] for b in expected]
    assert df["locked"].tolist() == [b["locked"] for b in expected]
    assert [c if isinstance(c, str) else None for c in df["created_by"]] == [b["created_by"] for b in expected]
    own_parent = [b["created_in"] for b in expected]
    assert [None if pd.isna(c) else int(c) for c in df["created_in"]][: len(own_parent)] == [
        p if p is not None else (None if pd.isna(c) else int(c))
        for p, c in zip(own_parent, df["created_in"], strict=True)
    ]
    # the application frame is the first one whose file is outside GOROOT (judged by path, not by name)
    goroot = _goroot(text)
    if goroot is not None:
        for b, app in zip(expected, df["app_function"], strict=True):
            outside = [f for f, path in b["frames"] if not path.startswith(goroot)]
            assert (app if isinstance(app, str) else None) == (outside[0] if outside else None), b["id"]


def _golden(name: str) -> list[tuple[Any, ...]]:
    doc = json.loads((REAL / name).read_text())
    return [
        (
            g["ID"],
            g["State"],
            g["Wait"] / 60e9 or None,  # gostackparse: a duration in ns
            g["LockedToThread"],
            [f["Func"] for f in g["Stack"]],
            [f"{f['File']}:{f['Line']}" for f in g["Stack"]],
            g["FramesElided"],
            (g["CreatedBy"] or {}).get("Func"),
        )
        for g in doc["Goroutines"]
    ]


@pytest.mark.parametrize("golden", sorted(p.name for p in REAL.glob("gostackparse-*.golden.json")))
def test_gostackparse_fixtures_match_its_own_parse(golden: str) -> None:
    """DataDog/gostackparse ships each dump with its parse (.golden.json): apiprobe reads the same."""
    df = read_goroutines(REAL / golden.replace(".golden.json", ".txt")).set_index("goroutine_id")
    errors = json.loads((REAL / golden).read_text())["Errors"] or []
    for gid, state, wait, locked, funcs, frames, elided, created in _golden(golden):
        row = df.loc[gid]
        assert row["state"] == state and bool(row["locked"]) == locked and bool(row["truncated"]) == elided
        assert (None if pd.isna(row["wait_minutes"]) else row["wait_minutes"]) == wait
        assert row["stack"].split("\n") == funcs and row["frames"].split("\n") == frames
        assert (row["created_by"] if isinstance(row["created_by"], str) else None) == created
    if "errorhandling" in golden:
        # gostackparse drops goroutine 2 (its frame 'main.main)(' is garbled); apiprobe keeps it with
        # an empty stack and counts the two lines it could not read
        assert len(errors) == 1 and df.attrs["parse_errors"] == 2 and df.at[2, "stack"] == ""
        assert [n for n, _ in df.attrs["bad_lines"]] == [6, 7]
    elif "partial" not in golden:
        assert not errors and df.attrs["parse_errors"] == 0 and len(df) == len(_golden(golden))


def test_real_dumps_name_the_application_frame() -> None:
    """Module paths (github.com/…, gopkg.in/…) are application code, as are main's frames."""
    web = read_goroutines(REAL / "panicparse-panicweb.txt")
    assert len(web) == 71 and web["app_function"].notna().sum() == 29
    apps = web["app_function"].dropna()
    assert apps.str.startswith(("github.com/maruel/panicparse/", "golang.org/x/sys/unix.", "main.")).all()
    assert apps.value_counts()["github.com/maruel/panicparse/cmd/panicweb/internal.GetAsync.func1"] == 13
    assert web.attrs["parse_errors"] == 0 and set(web["wait_minutes"].dropna()) == {2.0}
    assert int(web["locked"].sum()) == 1
    locked = read_goroutines(REAL / "gostackparse-lockedm.txt").iloc[0]
    assert locked["app_function"] == "gopkg.in/DataDog/dd-trace-go.v1/profiler/internal/stackparse.TestParse_Example"
    assert locked["state"] == "running" and bool(locked["locked"])
    created = read_goroutines(REAL / "gostackparse-go121_createdby.txt").set_index("goroutine_id")
    assert created.at[18, "created_by"] == "main.main" and created.at[18, "created_in"] == 1
    assert created.at[1, "wait_site"] == "waitgroup"
    anc = read_goroutines(REAL / "gostackparse-ancestors.txt").set_index("goroutine_id")
    assert anc.at[25, "ancestors"].split(",")[0] == "24" and anc.at[25, "created_in"] == 24


def _expect(text: str) -> dict[str, int]:
    m = re.search(r"^expect: (\{.*\})$", text, flags=re.M)
    assert m, "the program prints what it knows before the dump"
    return dict(json.loads(m[1]))


def _check_ledger(outputs: dict[str, str], minor: int) -> None:
    """What the ledger program writes (tests/fixtures/realworld/goroutines/ledger) under Go 1.<minor>."""
    stats = _expect(outputs["expect"])
    assert stats == {"goroutines": 22, "in_use": 2, "waiting": 18}
    caller = "github.com/acme/ledger/internal/store.(*Repo).Balance"
    d2 = parse_goroutines(outputs["sql-debug2"], source="sql-debug2")
    d1 = parse_goroutines(outputs["sql-debug1"], source="sql-debug1")
    assert len(d2) == stats["goroutines"] == int(d1["count"].sum()) == d1.attrs["total"]
    assert d2.attrs["parse_errors"] == d1.attrs["parse_errors"] == 0
    for df in (d2, d1):
        f = detect_pool_exhaustion(goroutines=df).iloc[0]
        assert f["subject"] == f"database/sql pool ({caller})" and f["severity"] == "critical"
        assert f["value"] == stats["waiting"] and f["threshold"] == stats["in_use"]
        assert "SetMaxOpenConns" in f["evidence"] and "inside the driver" in f["evidence"]
        waiting = df[df["wait_site"] == "sql_pool_wait"]
        assert (waiting["app_function"] == caller).all() and int(waiting["count"].sum()) == stats["waiting"]
    assert (d2["created_in"].notna().sum() == 21) == (minor >= 21)  # every goroutine but main
    assert set(d2.loc[d2["wait_site"] == "sql_pool_wait", "state"]) == {"select"}
    # a panic re-raised in a deferred recover, GOTRACEBACK=all: every user goroutine, the preamble kept
    crash = parse_goroutines(outputs["panic"], source="panic")
    assert len(crash) == _expect(outputs["panic"])["goroutines"] and crash.attrs["parse_errors"] == 0
    assert crash.attrs["preamble"][1:] == [
        "panic: ledger: 18 callers wait for a connection [recovered]",
        "\tpanic: ledger: giving up",
    ]
    assert int((crash["wait_site"] == "sql_pool_wait").sum()) == 18
    # GOTRACEBACK=system adds the runtime's own goroutines, and (Go 1.23+) gp=/m= in each header
    system = parse_goroutines(outputs["system"], source="system")
    assert len(system) == len(_HEAD.findall(outputs["system"])) > len(crash)
    assert system.attrs["parse_errors"] == 0 and "gc_idle" in set(system["wait_site"])
    assert bool(re.search(r"^goroutine 1 gp=0x[0-9a-f]+ m=\d+ ", outputs["system"], re.M)) == (minor >= 23)
    assert len(system) - len(crash) == int((system["wait_site"] == "gc_idle").sum())  # the runtime's own
    # every goroutine blocked: the runtime's deadlock report, with the wait reasons of the version
    dead = parse_goroutines(outputs["deadlock"], source="deadlock")
    assert len(dead) == _expect(outputs["deadlock"])["goroutines"] == 11 and dead.attrs["parse_errors"] == 0
    assert dead.attrs["preamble"][1] == "fatal error: all goroutines are asleep - deadlock!"
    states = dead["state"].value_counts().to_dict()
    assert states["chan receive (nil chan)"] == 1 and states["select (no cases)"] == 1 and states["chan send"] == 3
    if minor == 19:
        assert states["semacquire"] == 6  # 1.19: the mutex and the WaitGroup both say semacquire
    elif minor >= 27:
        assert states["sync.Mutex.Lock"] == 3 and states["sync.WaitGroup.Wait"] == 3
    sites = dead["wait_site"].value_counts().to_dict()
    assert sites["mutex"] == sites["waitgroup"] == sites["chan_send"] == 3
    assert dead.loc[dead["goroutine_id"] == 1, "wait_site"].iloc[0] == "chan_receive"
    assert dead["app_function"].str.startswith("main.").all()


@pytest.mark.parametrize("minor", [19, 27])
def test_ledger_fixtures(minor: int) -> None:
    """The stored output of the ledger program (Go 1.19.8 and 1.27.3), checked like a fresh run."""
    names = ("sql-debug2", "sql-debug1", "panic", "system", "deadlock")
    outputs = {k: (REAL / f"ledger-go1.{minor}-{k}.txt").read_text() for k in names}
    outputs["expect"] = outputs["panic"]
    _check_ledger(outputs, minor)


def test_ledger_program_under_each_toolchain(go_toolchain: Any, tmp_path: Path) -> None:
    """Build the ledger program with each Go and read what it writes, in every shape."""
    src = tmp_path / "ledger"
    shutil.copytree(LEDGER, src)
    env = go_toolchain.env(tmp_path)
    exe = tmp_path / "ledger-bin"
    build = subprocess.run(
        [go_toolchain.go, "build", "-o", str(exe), "."], cwd=src, env=env, capture_output=True, text=True, timeout=300
    )
    assert build.returncode == 0, build.stderr
    base = {k: v for k, v in os.environ.items() if k != "GOTRACEBACK"}

    def run(mode: str, traceback: str | None) -> subprocess.CompletedProcess[str]:
        child = {**base, **({"GOTRACEBACK": traceback} if traceback else {})}
        return subprocess.run([str(exe), mode], capture_output=True, text=True, timeout=120, env=child)

    dump = run("dump", None)
    assert dump.returncode == 0, dump.stderr
    debug2, debug1 = dump.stdout.split("=====\n")
    outputs = {"expect": dump.stderr, "sql-debug2": debug2, "sql-debug1": debug1}
    for mode, traceback, key in (
        ("panic", "all", "panic"),
        ("panic", "system", "system"),
        ("deadlock", None, "deadlock"),
    ):
        res = run(mode, traceback)
        assert res.returncode == 2, res.stderr[-500:]
        outputs[key] = res.stderr
    _check_ledger(outputs, go_toolchain.minor)
