"""Retry presets against the Go libraries themselves, as Debian packages them.

``go/retry_libraries.go`` is built in a temporary module whose ``vendor/``
holds the sources of ``golang-github-hashicorp-go-retryablehttp-dev`` (0.7.x)
and ``golang-github-cenkalti-backoff-dev`` (v4) from ``/usr/share/gocode``
(``-mod=vendor``: no module download), once per Go toolchain. It prints the
libraries' own waits in nanoseconds:

* jitter-free schedules (``DefaultBackoff`` with and without ``Retry-After``,
  ``LinearJitterBackoff`` with min = max, ``ExponentialBackOff`` with no
  randomization on a fake clock, so its max-elapsed stop counts each
  attempt's duration) must equal :func:`apiprobe.retry_schedule` to the
  nanosecond;
* jittered ones (20,000 draws per wait) must fall inside the bounds the
  library's source gives, as apiprobe's draws do, with apiprobe's mean within
  four standard errors of the library's;
* ``DefaultRetryPolicy`` must make the decisions :func:`apiprobe.retry_decision` makes;
* gRPC-Go's connection backoff (``internal/backoff.Exponential``, from
  ``golang-google-grpc-dev``) is built in a temporary module that *is*
  ``google.golang.org/grpc`` (an internal package can only be imported from
  its own module): exact without jitter, bounds and means with it.

Skips with a reason when Go or the Debian library sources are absent.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from apiprobe import retry_decision, retry_policy, retry_schedule

GOCODE = Path("/usr/share/gocode/src")
LIBS = {  # import path → (Debian source dir, version for vendor/modules.txt)
    "github.com/hashicorp/go-retryablehttp": (GOCODE / "github.com/hashicorp/go-retryablehttp", "v0.7.1"),
    "github.com/hashicorp/go-cleanhttp": (GOCODE / "github.com/hashicorp/go-cleanhttp", "v0.5.2"),
    "github.com/cenkalti/backoff/v4": (GOCODE / "github.com/cenkalti/backoff", "v4.1.3"),
}
PROGRAM = Path(__file__).with_name("go") / "retry_libraries.go"
NS = 1_000_000_000
SAMPLES = 20_000

DEFAULT_CASES = [
    {"min_ns": NS, "max_ns": 30 * NS, "retries": 4, "status": 0, "retry_after": ""},
    {"min_ns": NS // 2, "max_ns": 4 * NS, "retries": 7, "status": 500, "retry_after": ""},
    {"min_ns": 3, "max_ns": 10**18, "retries": 70, "status": 0, "retry_after": ""},  # overflow: capped at max
    {"min_ns": NS, "max_ns": 30 * NS, "retries": 4, "status": 429, "retry_after": "7"},
    {"min_ns": NS, "max_ns": 30 * NS, "retries": 4, "status": 503, "retry_after": "120"},
    {"min_ns": NS, "max_ns": 30 * NS, "retries": 4, "status": 500, "retry_after": "7"},
    {"min_ns": NS, "max_ns": 30 * NS, "retries": 4, "status": 429, "retry_after": "Wed, 21 Oct 2026 07:28:00 GMT"},
    {"min_ns": NS, "max_ns": 30 * NS, "retries": 4, "status": 503, "retry_after": "1.5"},
]
LINEAR_CASES = [
    {"min_ns": NS, "max_ns": NS, "retries": 5, "samples": 1},
    {"min_ns": NS, "max_ns": 3 * NS, "retries": 5, "samples": SAMPLES},
]
POLICY_CASES: list[dict[str, Any]] = [
    *({"status": s} for s in (0, 200, 301, 400, 404, 429, 500, 501, 502, 503, 504, 999)),
    {"error": "stopped after 10 redirects"},
    {"error": 'unsupported protocol scheme "ftp"'},
    {"unknown_authority": True, "error": "x509: certificate signed by unknown authority"},
    {"error": "tls: failed to verify certificate: x509: certificate is not trusted"},
    {"error": "x509: certificate has expired or is not yet valid: current time 2026-12-05T10:00:00Z is after ..."},
    {"error": "dial tcp 127.0.0.1:1: connect: connection refused"},
    {"status": 503, "canceled": True},
    {"error": "read: connection reset by peer", "canceled": True},
]
CENKALTI_CASES: list[dict[str, Any]] = [
    # (apiprobe parameters, attempt duration in seconds, draws)
    ({"randomization_factor": 0}, 0.0, 0),
    ({"randomization_factor": 0}, 2.5, 0),
    ({"randomization_factor": 0, "max_elapsed_s": 0, "retries": 12}, 0.0, 0),
    ({"randomization_factor": 0, "max_interval_s": 2.0, "max_elapsed_s": 20}, 0.1, 0),
    ({"max_elapsed_s": 0, "retries": 8}, 0.0, SAMPLES),
]


def _vendor_tree(root: Path) -> None:
    """A module whose vendor/ holds the Debian sources (package files only)."""
    lines = []
    for path, (src, version) in LIBS.items():
        shutil.copytree(src, root / "vendor" / path, ignore=shutil.ignore_patterns("*_test.go", "testdata", ".*"))
        lines += [f"# {path} {version}", "## explicit; go 1.13", path]
    (root / "vendor" / "modules.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    requires = "\n".join(f"\t{path} {version}" for path, (_, version) in LIBS.items())
    (root / "go.mod").write_text(
        f"module apiprobe/retrycheck\n\ngo 1.19\n\nrequire (\n{requires}\n)\n", encoding="utf-8"
    )
    shutil.copy(PROGRAM, root / "main.go")


def _request() -> dict[str, Any]:
    cenkalti = []
    for params, attempt_s, samples in CENKALTI_CASES:
        p = retry_policy("cenkalti-backoff", **params)
        cenkalti.append(
            {
                "initial_ns": round(p["initial_s"] * NS),
                "randomization_factor": p["randomization_factor"],
                "multiplier": p["multiplier"],
                "max_interval_ns": round(p["max_interval_s"] * NS),
                "max_elapsed_ns": round(p["max_elapsed_s"] * NS),
                "retries": -1 if p.retries is None else p.retries,
                "attempt_ns": round(attempt_s * NS),
                "samples": samples,
            }
        )
    return {
        "default_backoff": DEFAULT_CASES,
        "linear_jitter": LINEAR_CASES,
        "retry_policy": POLICY_CASES,
        "cenkalti": cenkalti,
    }


@pytest.fixture(scope="module")
def go_answers(go_toolchain: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    missing = [str(src) for src, _ in LIBS.values() if not (src / "go.mod").is_file()]
    if missing:
        pytest.skip(
            "the Debian Go retry libraries are not installed (golang-github-hashicorp-go-retryablehttp-dev, "
            f"golang-github-cenkalti-backoff-dev): missing {', '.join(missing)}"
        )
    tmp = tmp_path_factory.mktemp(f"retrylibs-{go_toolchain.version}")
    root = tmp / "mod"
    _vendor_tree(root)
    env = {**go_toolchain.env(tmp), "GOFLAGS": "-mod=vendor"}
    proc = subprocess.run(
        [go_toolchain.go, "run", "."],
        cwd=root,
        input=json.dumps(_request()),
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _ns(seconds: Any) -> list[int]:
    return [round(s * NS) for s in seconds]


@pytest.mark.parametrize("case", range(len(DEFAULT_CASES)))
def test_default_backoff_equals_retryablehttp(go_answers: dict[str, Any], case: int) -> None:
    c = DEFAULT_CASES[case]
    policy = retry_policy("go-retryablehttp", min_s=c["min_ns"] / NS, max_s=c["max_ns"] / NS, retries=c["retries"])
    status = c["status"] or None
    ours = retry_schedule(policy, status=status, retry_after=c["retry_after"] or None)
    assert _ns(ours["delay_s"]) == go_answers["default_backoff"][case]


def test_linear_jitter_backoff(go_answers: dict[str, Any]) -> None:
    exact, jittered = go_answers["linear_jitter"]
    assert (
        exact["min"]
        == exact["max"]
        == _ns(retry_schedule(retry_policy("go-retryablehttp-linear-jitter", min_s=1, max_s=1, retries=5))["delay_s"])
    )
    p = retry_policy("go-retryablehttp-linear-jitter", min_s=1, max_s=3, retries=5)
    ours = retry_schedule(p, n=SAMPLES, seed=1).groupby("retry")["delay_s"]
    k = np.arange(1, 6)
    assert (np.array(jittered["min"]) >= k * NS).all() and (np.array(jittered["max"]) <= 3 * k * NS).all()
    assert (ours.min().to_numpy() >= k).all() and (ours.max().to_numpy() <= 3 * k).all()
    se = np.array(jittered["std"]) / np.sqrt(SAMPLES)
    assert (np.abs(ours.mean().to_numpy() * NS - np.array(jittered["mean"])) < 4 * np.sqrt(2) * se).all()


def test_default_retry_policy_decisions(go_answers: dict[str, Any]) -> None:
    ours = [
        retry_decision(
            "go-retryablehttp",
            status=None if c.get("error") else c["status"],
            error=c.get("error"),
            context_done=c.get("canceled", False),
        )
        for c in POLICY_CASES
    ]
    assert ours == go_answers["retry_policy"]


@pytest.mark.parametrize("case", range(len(CENKALTI_CASES)))
def test_exponential_backoff_equals_cenkalti(go_answers: dict[str, Any], case: int) -> None:
    params, attempt_s, samples = CENKALTI_CASES[case]
    policy = retry_policy("cenkalti-backoff", **params)
    theirs = go_answers["cenkalti"][case]
    if samples == 0:
        assert _ns(retry_schedule(policy, attempt_s=attempt_s)["delay_s"]) == theirs
        return
    ours = retry_schedule(policy, n=SAMPLES, seed=7, attempt_s=attempt_s).groupby("retry")["delay_s"]
    # getRandomValueFromInterval: [c - f*c, c + f*c + 1 ns), truncated; c multiplied and truncated each step
    centre, bounds = policy["initial_s"] * NS, []
    for _ in range(len(theirs["mean"])):
        bounds.append(
            (centre * (1 - policy["randomization_factor"]), centre * (1 + policy["randomization_factor"]) + 1)
        )
        centre = int(centre * policy["multiplier"])
    lo, hi = np.array(bounds).T
    assert (np.array(theirs["min"]) >= np.floor(lo)).all() and (np.array(theirs["max"]) <= hi).all()
    mine_ns = ours.min().to_numpy() * NS, ours.max().to_numpy() * NS
    assert (np.round(mine_ns[0]) >= np.floor(lo)).all() and (np.round(mine_ns[1]) <= hi).all()
    se = np.array(theirs["std"]) / np.sqrt(SAMPLES)
    assert (np.abs(ours.mean().to_numpy() * NS - np.array(theirs["mean"])) < 4 * np.sqrt(2) * se).all()


# --------------------------------------------------------------------------- gRPC-Go's connection backoff

GRPC = GOCODE / "google.golang.org/grpc"
GRPC_PROGRAM = Path(__file__).with_name("go") / "grpc_backoff.go"
GRPC_CASES: list[dict[str, Any]] = [
    # (apiprobe parameters, draws per wait)
    {"params": {"jitter": 0.0, "retries": 14}, "samples": 1},
    {"params": {"base_s": 0.25, "multiplier": 2.5, "jitter": 0.0, "max_s": 7.0, "retries": 8}, "samples": 1},
    {"params": {"retries": 10}, "samples": SAMPLES},
]


@pytest.fixture(scope="module")
def grpc_answers(go_toolchain: Any, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    parts = ["backoff", "internal/backoff", "internal/grpcrand"]
    if not all((GRPC / p).is_dir() for p in parts):
        pytest.skip("gRPC-Go's sources are not installed (Debian package golang-google-grpc-dev)")
    tmp = tmp_path_factory.mktemp(f"grpcbackoff-{go_toolchain.version}")
    root = tmp / "mod"
    for part in parts:  # the module must be google.golang.org/grpc itself to import its internal packages
        shutil.copytree(GRPC / part, root / part, ignore=shutil.ignore_patterns("*_test.go"))
    (root / "cmd" / "apiprobecheck").mkdir(parents=True)
    shutil.copy(GRPC_PROGRAM, root / "cmd" / "apiprobecheck" / "main.go")
    (root / "go.mod").write_text("module google.golang.org/grpc\n\ngo 1.19\n", encoding="utf-8")
    request = []
    for case in GRPC_CASES:
        p = retry_policy("grpc", **case["params"])
        request.append(
            {
                "base_ns": round(p["base_s"] * NS),
                "multiplier": p["multiplier"],
                "jitter": p["jitter"],
                "max_ns": round(p["max_s"] * NS),
                "retries": p.retries,
                "samples": case["samples"],
            }
        )
    proc = subprocess.run(
        [go_toolchain.go, "run", "./cmd/apiprobecheck"],
        cwd=root,
        input=json.dumps(request),
        capture_output=True,
        text=True,
        env=go_toolchain.env(tmp),
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("case", range(len(GRPC_CASES)))
def test_grpc_backoff_equals_grpc_go(grpc_answers: list[dict[str, Any]], case: int) -> None:
    c = GRPC_CASES[case]
    policy = retry_policy("grpc", **c["params"])
    theirs = grpc_answers[case]
    if c["samples"] == 1:
        assert _ns(retry_schedule(policy)["delay_s"]) == theirs["min"] == theirs["max"]
        return
    ours = retry_schedule(policy, n=SAMPLES, seed=3).groupby("retry")["delay_s"]
    assert theirs["min"][0] == theirs["max"][0] == round(ours.min().iloc[0] * NS)  # the first wait has no jitter
    se = np.maximum(np.array(theirs["std"]), 1.0) / np.sqrt(SAMPLES)
    assert (np.abs(ours.mean().to_numpy() * NS - np.array(theirs["mean"])) < 4 * np.sqrt(2) * se).all()
    # both inside [c(1 - j), c(1 + j)] around the capped exponential
    ceiling = np.array([min(1.6**i, 120.0) for i in range(10)]) * NS
    lo, hi = ceiling * 0.8, ceiling * 1.2
    lo[0] = hi[0] = NS
    for got in (np.array(theirs["min"]), np.round(ours.min().to_numpy() * NS)):
        assert (got >= np.floor(lo) - 1).all()
    for got in (np.array(theirs["max"]), np.round(ours.max().to_numpy() * NS)):
        assert (got <= np.ceil(hi) + 1).all()
