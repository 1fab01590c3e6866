"""replay_breaker against the real sony/gobreaker v1, on Go's fake clock (``testing/synctest``).

``test_resilience_breaker.py`` checks the replay rule by rule from gobreaker's
source; this module runs the library itself on the same request series and
requires identical decisions.

Method
------
* Series are generated from a fixed seed: overlapping calls (durations from a
  few ms to several seconds, some longer than the breaker's ``Timeout``),
  outcomes in bursts (healthy stretches and outages, so failure runs trip the
  default ``ConsecutiveFailures > 5`` rule), over every combination of
  ``MaxRequests`` ∈ {0, 1, 3}, ``Interval`` ∈ {0, 2–6 s}, ``Timeout`` ∈
  {0 (60 s), 0.5–5 s} and ``ReadyToTrip`` ∈ {gobreaker's default, the ratio
  rule ``Requests >= 10 && TotalFailures/Requests >= 0.5``}. A few hand-made
  series add the boundaries (an arrival or an end exactly at an expiry,
  zero-length calls).
* ``go/breaker_replay.go`` is copied into a temporary module as a
  ``_test.go`` file whose ``go.mod`` replaces ``github.com/sony/gobreaker``
  with the checkout at ``$APIPROBE_GOBREAKER_SRC``, and run with ``go test``
  (Go ≥ 1.25, offline). Each series runs in a synctest bubble: the breaker is
  made at the bubble's time 0 (``created=0.0`` here), one goroutine per call
  sleeps until its start, asks the breaker (``Execute``, and in a second run
  ``TwoStepCircuitBreaker.Allow``) and, when allowed, sleeps for the call's
  duration before reporting the outcome. gobreaker's own ``time.Now()`` then
  reads exactly the scheduled instants.
* Fake time only advances when every goroutine in the bubble is blocked, and
  goroutines woken at the same instant run in no fixed order. So no two calls
  of a random series start or end at the same nanosecond (times on a 1 ms grid
  plus distinct sub-ms offsets), and none lands on an instant where the
  breaker could expire (any event + Timeout, any event + Interval, Interval
  after creation): checked by ``test_random_series_have_no_ties``. The
  hand-made series put single events exactly on an expiry on purpose; that is
  deterministic, since one goroutine alone runs at that instant.
* Compared per call: allowed, rejection (``ErrOpenState`` → ``open``,
  ``ErrTooManyRequests`` → ``too_many_requests``) and the state at arrival
  (from gobreaker's ``OnStateChange`` history); per series: every transition,
  its time to the nanosecond, from and to.

Skips with a reason when ``APIPROBE_GOBREAKER_SRC`` is unset or not a v1
checkout (gobreaker is not packaged by Debian), or when no Go ≥ 1.25 is found.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from apiprobe.analyze.resilience import BreakerCounts, BreakerReplay, replay_breaker

GO_SRC = Path(__file__).with_name("go") / "breaker_replay.go"
SRC_ENV = "APIPROBE_GOBREAKER_SRC"
SEED = 20_250_617
N_SERIES = 200
NS = 1_000_000_000
MS = 1_000_000
DEFAULT_TIMEOUT_NS = 60 * NS  # gobreaker: Timeout <= 0 means 60 s

#: The rules by the name the Go side knows them by (None: gobreaker's default).
RULES: dict[str, Callable[[BreakerCounts], bool] | None] = {
    "default": None,
    "ratio": lambda c: c.requests >= 10 and c.total_failures / c.requests >= 0.5,
}
#: (MaxRequests, with a Timeout, with an Interval, rule): every combination, in turn.
COMBOS = [
    (max_requests, timed, cyclic, rule)
    for max_requests in (0, 1, 3)
    for timed in (False, True)
    for cyclic in (False, True)
    for rule in RULES
]


@dataclass(frozen=True)
class Series:
    """One schedule of calls and the breaker settings to run it under (times in ns)."""

    name: str
    max_requests: int
    interval_ns: int
    timeout_ns: int
    rule: str
    start_ns: tuple[int, ...]
    end_ns: tuple[int, ...]
    ok: tuple[bool, ...]

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "start": np.array(self.start_ns, dtype="int64") / NS,
                "end": np.array(self.end_ns, dtype="int64") / NS,
                "ok": np.array(self.ok, dtype=bool),
            }
        )

    def replay(self) -> BreakerReplay:
        return replay_breaker(
            self.frame(),
            max_requests=self.max_requests,
            interval=self.interval_ns / NS,
            timeout=self.timeout_ns / NS,
            ready_to_trip=RULES[self.rule],
            created=0.0,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "max_requests": self.max_requests,
            "interval_ns": self.interval_ns,
            "timeout_ns": self.timeout_ns,
            "rule": self.rule,
            "start_ns": list(self.start_ns),
            "end_ns": list(self.end_ns),
            "ok": list(self.ok),
        }

    def settings(self) -> str:
        return (
            f"max_requests={self.max_requests} interval_ns={self.interval_ns} "
            f"timeout_ns={self.timeout_ns} rule={self.rule}"
        )


def expiry_ties(s: Series) -> set[int]:
    """Call instants at which the breaker could expire: any instant + Timeout or + Interval, or Interval."""
    events = set(s.start_ns) | set(s.end_ns)
    timeout = s.timeout_ns if s.timeout_ns > 0 else DEFAULT_TIMEOUT_NS
    candidates = {e + timeout for e in events}
    if s.interval_ns > 0:
        candidates |= {e + s.interval_ns for e in events} | {s.interval_ns}
    return events & candidates


def _duration_ms(rng: random.Random) -> int:
    u = rng.random()
    if u < 0.7:
        return 1 + int(rng.expovariate(1 / 60))  # most calls are quick
    if u < 0.93:
        return rng.randint(200, 3000)
    return rng.randint(3000, 9000)  # often longer than the timeout


def random_series(rng: random.Random, k: int) -> Series:
    """Series ``k``: settings ``COMBOS[k % 24]``, calls on a 1 ms grid plus distinct sub-ms offsets."""
    max_requests, timed, cyclic, rule = COMBOS[k % len(COMBOS)]
    n = rng.randint(30, 120)
    # Timeout 0 is 60 s: a short series stays open to its end, a long one outlasts it.
    gap_ms = rng.uniform(40, 700) if timed else rng.choice([150.0, 2500.0])
    offsets = rng.sample(range(1, MS), 2 * n)
    outage = rng.random() < 0.3
    at_ms = 1
    starts, ends, oks = [], [], []
    for i in range(n):
        at_ms += int(rng.expovariate(1 / gap_ms))  # 0 now and then: two starts within one ms
        if rng.random() < 0.1:
            outage = not outage
        oks.append(rng.random() >= (0.9 if outage else 0.08))
        starts.append(at_ms * MS + offsets[2 * i])
        ends.append((at_ms + _duration_ms(rng)) * MS + offsets[2 * i + 1])
    s = Series(f"random-{k:03d}", max_requests, 0, 0, rule, tuple(starts), tuple(ends), tuple(oks))
    for _ in range(1000):  # sub-ms parts for Timeout and Interval that put no expiry on a call
        timeout_ns = rng.randint(500, 5000) * MS + rng.randrange(1, MS) if timed else 0
        interval_ns = rng.randint(2000, 6000) * MS + rng.randrange(1, MS) if cyclic else 0
        candidate = Series(s.name, max_requests, interval_ns, timeout_ns, rule, s.start_ns, s.end_ns, s.ok)
        if not expiry_ties(candidate):
            return candidate
    raise AssertionError(f"{s.name}: no Timeout/Interval without ties")


def _calls(rows: list[tuple[float, float, bool]]) -> tuple[tuple[int, ...], tuple[int, ...], tuple[bool, ...]]:
    return (
        tuple(round(a * NS) for a, _, _ in rows),
        tuple(round(b * NS) for _, b, _ in rows),
        tuple(ok for _, _, ok in rows),
    )


def _fails(at: float, n: int, *, step: float = 0.1, dur: float = 0.01) -> list[tuple[float, float, bool]]:
    return [(at + i * step, at + i * step + dur, False) for i in range(n)]


def edge_series() -> list[Series]:
    """Boundaries on purpose: events exactly on an expiry (gobreaker's ``Before`` is strict), zero-length calls."""
    tick = 1e-9
    # Default rule, Timeout 2 s: trips at 0.61 s when the 6th failure ends; expiry 2.61 s.
    open_expiry = [
        *_fails(0.1, 6),
        (2.61, 2.7, True),  # exactly at the expiry: still open
        (2.61 + tick, 2.61 + tick, True),  # 1 ns later: half-open, a zero-length success closes it
        (2.8, 2.8, False),  # zero-length failure while closed
        (2.9, 3.5, True),
    ]
    # Interval 1 s from creation: a call starting exactly at 1 s is in the first generation,
    # its end (after 1 s) starts the next one (outcome dropped, expiry 2.01 s), and a failure
    # ending exactly at 2.01 s still counts: the 6th of the run trips it; 60 s later, exactly.
    interval_expiry = [
        *_fails(0.1, 5),
        (1.0, 1.01, False),
        *_fails(1.1, 5),
        (1.6, 2.01, False),
        (62.01, 62.02, True),
        (62.01 + tick, 62.05, True),
    ]
    # MaxRequests 3, Timeout 1 s: trips at 0.61 s; probes from exactly the expiry on.
    half_open = [
        *_fails(0.1, 6),
        (1.61, 1.62, True),
        (1.61 + tick, 2.11, True),
        (1.7, 1.8, True),
        (1.75, 2.5, True),
        (1.76, 1.77, True),  # a 4th probe: too many requests
        (2.6, 2.6, False),
        (3.0, 3.1, False),
    ]
    # Ratio rule, Interval 1.5 s, Timeout 1 s - 1 ns: ten calls, half failed, trip at the 10th (1.05 s);
    # a zero-length half-open failure ending at 2.05 s + 1 ns reopens it until 3.05 s, exactly.
    ratio = [
        *[(0.1 + 0.1 * i, 0.15 + 0.1 * i, i % 2 == 0) for i in range(10)],
        (1.2, 1.25, True),
        (2.05, 2.05 + tick, False),
        (2.05 + 2 * tick, 2.2, True),
        (3.05 - tick, 3.06, True),
        (3.05, 3.07, True),
        (3.05 + tick, 3.6, True),
    ]
    cases = [
        ("edge-open-expiry", 0, 0, 2 * NS, "default", open_expiry),
        ("edge-interval-expiry", 0, 1 * NS, 0, "default", interval_expiry),
        ("edge-half-open", 3, 0, 1 * NS, "default", half_open),
        ("edge-ratio", 1, 1_500_000_000, 1 * NS - 1, "ratio", ratio),
    ]
    return [Series(name, mr, iv, to, rule, *_calls(rows)) for name, mr, iv, to, rule, rows in cases]


def all_series() -> list[Series]:
    rng = random.Random(SEED)
    return [random_series(rng, k) for k in range(N_SERIES)] + edge_series()


SERIES = all_series()
RANDOM = [s for s in SERIES if s.name.startswith("random-")]


def test_random_series_have_no_ties() -> None:
    for s in RANDOM:
        instants = [*s.start_ns, *s.end_ns]
        assert len(set(instants)) == len(instants), f"{s.name}: two calls start or end at the same instant"
        assert not expiry_ties(s), f"{s.name}: a call lands on a possible expiry: {sorted(expiry_ties(s))[:5]}"
        assert all(e > b for b, e in zip(s.start_ns, s.end_ns, strict=True)), s.name


def test_edge_series_have_one_goroutine_per_instant() -> None:
    # A zero-length call starts and ends in one goroutine at one instant; nothing else may share it.
    for s in SERIES:
        instants = [t for b, e in zip(s.start_ns, s.end_ns, strict=True) for t in sorted({b, e})]
        assert len(set(instants)) == len(instants), s.name
        assert all(e >= b for b, e in zip(s.start_ns, s.end_ns, strict=True)), s.name


def test_times_survive_the_trip_through_float_seconds() -> None:
    # replay_breaker takes float seconds and rounds them to ns; the Go side gets the ns.
    for s in SERIES:
        for times in (s.start_ns, s.end_ns):
            arr = np.array(times, dtype="int64")
            assert (np.round(arr / NS * NS).astype("int64") == arr).all(), s.name
        for span in (s.interval_ns, s.timeout_ns):
            assert round(float(span / NS) * NS) == span, s.name


def test_random_series_exercise_the_breaker() -> None:
    """The generated cases reach every path worth cross-checking (by apiprobe's replay)."""
    seen: dict[str, int] = {}

    def count(key: str, hit: bool | np.bool_) -> None:
        seen[key] = seen.get(key, 0) + bool(hit)

    for s in RANDOM:
        r = s.replay()
        req, tr = r.requests, r.transitions
        moves = set(zip(tr["from_state"], tr["to_state"], strict=True))
        for move in [("closed", "open"), ("open", "half-open"), ("half-open", "closed"), ("half-open", "open")]:
            count("->".join(move), move in moves)
        count(f"trip/{s.rule}", ("closed", "open") in moves)
        count(f"close/max_requests={s.max_requests}", ("half-open", "closed") in moves)
        count("trip with interval", s.interval_ns > 0 and ("closed", "open") in moves)
        count("half-open with 60 s timeout", s.timeout_ns == 0 and ("open", "half-open") in moves)
        count("too_many_requests", (req["rejected"] == "too_many_requests").any())
        count("outcome dropped", (req["allowed"] & ~req["counted"]).any())
        timeout = s.timeout_ns or DEFAULT_TIMEOUT_NS
        count("call longer than timeout", any(e - b > timeout for b, e in zip(s.start_ns, s.end_ns, strict=True)))
    wanted = {
        "closed->open": 100,
        "open->half-open": 80,
        "half-open->closed": 50,
        "half-open->open": 50,
        "trip/default": 40,
        "trip/ratio": 40,
        "close/max_requests=0": 10,
        "close/max_requests=1": 10,
        "close/max_requests=3": 10,
        "trip with interval": 40,
        "half-open with 60 s timeout": 10,
        "too_many_requests": 30,
        "outcome dropped": 50,
        "call longer than timeout": 50,
    }
    short = {k: (seen.get(k, 0), n) for k, n in wanted.items() if seen.get(k, 0) < n}
    assert not short, f"too few series reach (seen, wanted): {short}"


_NO_SOURCE = "point it at a checkout of github.com/sony/gobreaker v1 (not packaged by Debian)"


def _gobreaker_src() -> Path:
    raw = os.environ.get(SRC_ENV)
    if not raw:
        pytest.skip(f"{SRC_ENV} is not set: {_NO_SOURCE}")
    src = Path(raw)
    code, mod = src / "gobreaker.go", src / "go.mod"
    if not code.is_file() or not mod.is_file():
        pytest.skip(f"{SRC_ENV}={raw} holds no gobreaker.go and go.mod at its root")
    if "module github.com/sony/gobreaker\n" not in mod.read_text():
        pytest.skip(f"{SRC_ENV}={raw}: go.mod is not module github.com/sony/gobreaker (v1)")
    if "func NewCircuitBreaker(st Settings) *CircuitBreaker" not in code.read_text():
        pytest.skip(f"{SRC_ENV}={raw}: gobreaker.go is not the v1 API")
    return src.resolve()


def _go_with_synctest() -> Any:
    from gotools import toolchains

    recent = [t for t in toolchains() if t.minor >= 25]
    if not recent:
        found = ", ".join(t.version for t in toolchains()) or "none"
        pytest.skip(f"testing/synctest needs Go >= 1.25 (found: {found})")
    return recent[-1]


@pytest.fixture(scope="module")
def go_results(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], dict[str, Any]]:
    """gobreaker's decisions for every series, keyed by (series name, "execute" or "twostep")."""
    src = _gobreaker_src()
    go = _go_with_synctest()
    tmp = tmp_path_factory.mktemp("gobreaker")
    mod = tmp / "mod"
    mod.mkdir()
    (mod / "go.mod").write_text(
        "module breakerreplay\n\ngo 1.25\n\n"
        "require github.com/sony/gobreaker v1.0.0\n\n"
        f"replace github.com/sony/gobreaker => {src}\n"
    )
    (mod / "breaker_replay_test.go").write_text(GO_SRC.read_text())
    (tmp / "series.json").write_text(json.dumps([s.as_json() for s in SERIES]))
    env = {
        **go.env(tmp),
        "BREAKER_REPLAY_IN": str(tmp / "series.json"),
        "BREAKER_REPLAY_OUT": str(tmp / "results.json"),
    }
    res = subprocess.run(
        [go.go, "test", "-count=1", "-run", "^TestBreakerReplay$", "."],
        capture_output=True,
        text=True,
        cwd=mod,
        env=env,
        timeout=600,
    )
    assert res.returncode == 0, f"go test failed:\n{res.stdout}\n{res.stderr}"
    results = json.loads((tmp / "results.json").read_text())
    return {(r["name"], r["mode"]): r for r in results}


def _python_side(s: Series) -> dict[str, Any]:
    r = s.replay()
    req, tr = r.requests, r.transitions
    return {
        "allowed": [bool(v) for v in req["allowed"]],
        "rejected": ["" if pd.isna(v) else str(v) for v in req["rejected"]],
        "state": [str(v) for v in req["state"]],
        "transitions": [
            {"ts_ns": int(t), "from": a, "to": b}
            for t, a, b in zip(
                np.round(tr["ts"].to_numpy(dtype="float64") * NS).astype("int64"),
                tr["from_state"],
                tr["to_state"],
                strict=True,
            )
        ],
    }


def _mismatch(s: Series, mode: str, py: dict[str, Any], go: dict[str, Any]) -> str | None:
    """The first difference, with the call and both outputs; None when they agree."""
    lines = []
    for i in range(len(s.start_ns)):
        ours = (py["allowed"][i], py["rejected"][i], py["state"][i])
        theirs = (go["allowed"][i], go["rejected"][i], go["state"][i])
        if ours != theirs:
            lines.append(
                f"call {i} (start_ns={s.start_ns[i]} end_ns={s.end_ns[i]} ok={s.ok[i]}): "
                f"apiprobe (allowed, rejected, state)={ours}, gobreaker={theirs}"
            )
            break
    if py["transitions"] != go["transitions"]:
        n = next(
            (k for k, (a, b) in enumerate(zip(py["transitions"], go["transitions"], strict=False)) if a != b),
            min(len(py["transitions"]), len(go["transitions"])),
        )
        lines.append(
            f"transitions differ from #{n}: apiprobe {py['transitions'][n : n + 3]} "
            f"vs gobreaker {go['transitions'][n : n + 3]} "
            f"({len(py['transitions'])} vs {len(go['transitions'])} in all)"
        )
    if not lines:
        return None
    return f"{s.name} [{mode}] {s.settings()}:\n  " + "\n  ".join(lines)


# Without the source, one skipped test stands for all the series (not one skip per series).
_CASES = (
    SERIES
    if os.environ.get(SRC_ENV)
    else [pytest.param(None, id="all-series", marks=pytest.mark.skip(reason=f"{SRC_ENV} is not set: {_NO_SOURCE}"))]
)


@pytest.mark.parametrize("series", _CASES, ids=lambda s: getattr(s, "name", None))
def test_replay_matches_gobreaker(go_results: dict[tuple[str, str], dict[str, Any]], series: Series) -> None:
    py = _python_side(series)
    problems = [
        p for mode in ("execute", "twostep") if (p := _mismatch(series, mode, py, go_results[series.name, mode]))
    ]
    assert not problems, "\n".join(problems)
