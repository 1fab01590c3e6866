"""pprof reader: every corpus profile, the demo profiles, broken input."""

from __future__ import annotations

import gzip
import os
import random
from pathlib import Path

import numpy as np
import pytest

from apiprobe.demo_profiles import demo_cpu_profile
from apiprobe.errors import ApiprobeError, DataFormatError
from apiprobe.load.pprof import ProfileFormatError, read_pprof

REPO = Path(__file__).resolve().parents[2]
PPROF = REPO.parent / "shared" / "corpus" / "pprof"

# file -> (sample types, totals) as `go tool pprof -raw` reports them; None = refused
EXPECTED: dict[str, tuple[list[tuple[str, str]], list[int]] | None] = {
    "large.cpu.pb.gz": ([("samples", "count"), ("cpu", "nanoseconds")], [24029, 240290000000]),
    "sample.cpu.pb.gz": ([("samples", "count"), ("cpu", "nanoseconds")], [176, 1760000000]),
    "cppbench.cpu_no_samples_type.pb.gz": ([("cpu", "nanoseconds")], [7120000000]),
    "go.nomappings.crash.pb.gz": (
        [("alloc_objects", "count"), ("alloc_space", "bytes"), ("inuse_objects", "count"),
         ("inuse_space", "bytes")], [2, 1765955, 2, 1765955]),
    "go.crc32.cpu.pb.gz": None,  # legacy pre-protobuf format
}


def corpus(name: str) -> Path:
    path = PPROF / name
    if not path.exists():
        pytest.skip(f"shared corpus absent: {path}")
    return path


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_profile(name: str) -> None:
    path = corpus(name)
    exp = EXPECTED[name]
    if exp is None:
        with pytest.raises(ProfileFormatError, match="legacy pre-protobuf") as info:
            read_pprof(path)
        assert name in str(info.value)
        return
    prof = read_pprof(path)
    types, totals = exp
    assert prof.sample_types == types
    assert prof.values.sum(axis=0).tolist() == totals
    samples = prof.samples
    for (t, _u), tot in zip(types, totals, strict=True):
        assert int(samples[t].sum()) == tot
    assert samples["sample_id"].is_unique
    assert prof.source == str(path)


def test_large_cpu_metadata_and_frames() -> None:
    prof = read_pprof(corpus("large.cpu.pb.gz"))
    assert prof.default_sample_type == ""
    assert prof.sample_index() == 1  # last type, as pprof
    assert prof.period_type == ("cpu", "nanoseconds")
    assert prof.period == 10_000_000
    assert prof.duration_ns > 240_000_000_000
    assert prof.time is not None and prof.time.year == 2022
    frames = prof.frames
    assert list(frames.columns) == ["sample_id", "depth", "function", "file", "line", "inlined",
                                    "address", "mapping"]
    leaves = frames[frames["depth"] == 0]
    assert len(leaves) == prof.n_samples
    # time.Now is the leaf of the hottest function in pprof -top (205.17s)
    cpu = prof.samples.set_index("sample_id")["cpu"]
    hot = leaves[leaves["function"] == "time.Now"]["sample_id"]
    assert int(cpu.loc[hot].sum()) == 205_170_000_000
    assert frames["inlined"].any()


def test_address_only_locations() -> None:
    prof = read_pprof(corpus("go.nomappings.crash.pb.gz"))
    frames = prof.frames
    assert (frames["function"] == "").all()
    assert (frames["address"] > 0).all()
    assert (frames["mapping"] == "").all()


def test_drop_frames_applied_like_pprof() -> None:
    path = corpus("cppbench.cpu_no_samples_type.pb.gz")
    prof = read_pprof(path)
    raw = read_pprof(path, drop_frames=False)
    assert "ProfileData::Add" in prof.drop_frames
    assert prof.stack_locs.size <= raw.stack_locs.size
    assert prof.values.sum() == raw.values.sum()


def test_demo_profile_labels_and_inlining() -> None:
    prof = read_pprof(demo_cpu_profile())
    assert prof.source == "<bytes>"
    s = prof.samples
    assert "label:handler" in s.columns
    assert set(s["label:handler"].dropna()) == {"/v1/charge", "/v1/refunds", "/healthz"}
    f = prof.frames
    inl = f[f["inlined"]]
    assert {"sync.(*Mutex).Lock", "encoding/json.isValidNumber"} <= set(inl["function"])
    assert demo_cpu_profile() == demo_cpu_profile()  # deterministic bytes


def test_raw_protobuf_and_negative_values() -> None:
    raw = gzip.decompress(demo_cpu_profile())
    assert read_pprof(raw).values.sum() == read_pprof(demo_cpu_profile()).values.sum()


def _cut(data: bytes, n: int) -> bytes:
    return data[:n]


@pytest.mark.parametrize("how", ["truncated-gzip", "truncated-proto", "random", "empty", "text"])
def test_broken_input_names_the_file(tmp_path: Path, how: str) -> None:
    src = gzip.decompress(demo_cpu_profile())
    rng = random.Random(5)
    data = {
        "truncated-gzip": _cut(demo_cpu_profile(), 300),
        "truncated-proto": _cut(src, len(src) // 2 + 3),
        "random": bytes(rng.getrandbits(8) for _ in range(2000)),
        "empty": b"",
        "text": b"hello, this is not a profile\n" * 10,
    }[how]
    path = tmp_path / f"{how}.pb.gz"
    path.write_bytes(data)
    with pytest.raises(ProfileFormatError) as info:
        read_pprof(path)
    assert path.name in str(info.value)
    assert isinstance(info.value, DataFormatError)
    assert isinstance(info.value, ApiprobeError)
    assert isinstance(info.value, ValueError)


def test_truncated_real_file(tmp_path: Path) -> None:
    data = gzip.decompress(corpus("sample.cpu.pb.gz").read_bytes())
    for cut in (len(data) - 1, len(data) // 3, 7):
        path = tmp_path / f"sample_cut{cut}.pb"
        path.write_bytes(data[:cut])
        with pytest.raises(ProfileFormatError, match=f"sample_cut{cut}"):
            read_pprof(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ProfileFormatError, match=r"nope\.pb\.gz"):
        read_pprof(tmp_path / "nope.pb.gz")


def test_frames_equal_for_repeated_access() -> None:
    prof = read_pprof(corpus("sample.cpu.pb.gz"))
    assert prof.frames is prof.frames
    assert np.all(prof.frames.groupby("sample_id")["depth"].min() == 0)
    assert os.fspath(prof.source).endswith("sample.cpu.pb.gz")
