"""pprof reader: every corpus profile, the demo profiles, broken input."""

from __future__ import annotations

import gzip
import os
import random
from pathlib import Path

import numpy as np
import pytest

from apiprobe.demo import demo_cpu_profile
from apiprobe.errors import ApiprobeError, DataFormatError
from apiprobe.load.pprof import Frame, Location, Profile, ProfileFormatError, parse_pprof, read_pprof

REPO = Path(__file__).resolve().parents[2]
PPROF = REPO.parent / "shared" / "corpus" / "pprof"

# file -> (sample types, totals) as `go tool pprof -raw` reports them; None = refused
EXPECTED: dict[str, tuple[list[tuple[str, str]], list[int]] | None] = {
    "large.cpu.pb.gz": ([("samples", "count"), ("cpu", "nanoseconds")], [24029, 240290000000]),
    "sample.cpu.pb.gz": ([("samples", "count"), ("cpu", "nanoseconds")], [176, 1760000000]),
    "cppbench.cpu_no_samples_type.pb.gz": ([("cpu", "nanoseconds")], [7120000000]),
    "go.nomappings.crash.pb.gz": (
        [("alloc_objects", "count"), ("alloc_space", "bytes"), ("inuse_objects", "count"), ("inuse_space", "bytes")],
        [2, 1765955, 2, 1765955],
    ),
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
    assert list(frames.columns) == ["sample_id", "depth", "function", "file", "line", "inlined", "address", "mapping"]
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
    prof = parse_pprof(demo_cpu_profile())
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
    assert parse_pprof(raw).values.sum() == parse_pprof(demo_cpu_profile()).values.sum()


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


# -- the vectorised decoder against the general per-message one ----------------


def _general_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make read_pprof take the general per-message paths for everything."""
    import apiprobe.load._pprof_decode as pp
    from apiprobe.load._pprof_fast import SampleTable

    real = pp.decode_samples

    def all_irregular(a: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> SampleTable:
        t = real(a, starts, ends)
        n = starts.shape[0]
        z = np.zeros(n, dtype=np.int64)
        return t._replace(
            irregular=np.ones(n, dtype=bool), loc_start=z, loc_end=z, val_bytes=np.zeros(0, dtype=np.uint8), val_len=z
        )

    monkeypatch.setattr(pp, "_fast_table", lambda *a, **k: None)
    monkeypatch.setattr(pp, "decode_samples", all_irregular)


def _content(prof: Profile) -> tuple[object, ...]:
    return (
        prof.sample_types,
        prof.default_sample_type,
        [tuple(loc) for loc in prof.locations],
        prof.stacks,
        prof.sample_stack.tolist(),
        prof.values.tolist(),
        prof.labels,
        prof.num_labels,
        prof.num_label_units,
        prof.period_type,
        prof.period,
        prof.time_ns,
        prof.duration_ns,
        prof.comments,
        prof.drop_frames,
        prof.keep_frames,
        prof.mappings,
    )


def _all_inputs() -> dict[str, bytes]:
    out = {
        "demo": demo_cpu_profile(),
        "demo-baseline": demo_cpu_profile(incident=False),
        "odd-encodings": _odd_profile(),
    }
    for name in EXPECTED:
        if EXPECTED[name] is not None and (PPROF / name).exists():
            out[name] = (PPROF / name).read_bytes()
    return out


@pytest.mark.parametrize("drop", [True, False])
def test_vectorised_decoder_equals_general_one(monkeypatch: pytest.MonkeyPatch, drop: bool) -> None:
    fast = {name: _content(parse_pprof(data, drop_frames=drop)) for name, data in _all_inputs().items()}
    _general_only(monkeypatch)
    for name, data in _all_inputs().items():
        assert _content(parse_pprof(data, drop_frames=drop)) == fast[name], name


def _v(v: int) -> bytes:
    v &= (1 << 64) - 1
    out = bytearray()
    while True:
        b, v = v & 0x7F, v >> 7
        if not v:
            return bytes(out + bytes([b]))
        out.append(b | 0x80)


def _vf(num: int, v: int) -> bytes:
    return _v(num << 3) + _v(v)


def _bf(num: int, payload: bytes, key: bytes | None = None) -> bytes:
    return (key if key is not None else _v(num << 3 | 2)) + _v(len(payload)) + payload


def _odd_profile() -> bytes:
    """A valid profile using encodings Go does not write (but other writers may)."""
    strings = [
        "",
        "samples",
        "count",
        "cpu",
        "nanoseconds",
        "main.main",
        "main.go",
        "runtime.f",
        "rt.go",
        "inl.g",
        "/bin/app",
        "handler",
        "/x",
        "bytes",
        "x" * 20000,
    ]
    p = [_vf(9, 1_700_000_000_000_000_000), _vf(10, 5_000_000_000)]  # scalars first
    p += [_bf(1, _vf(1, 1) + _vf(2, 2)), _bf(1, _vf(2, 4) + _vf(1, 3))]  # sample types, fields swapped
    # functions: in order, reversed, with an unknown field, a negative start line
    p += [
        _bf(5, _vf(1, 1) + _vf(2, 5) + _vf(3, 5) + _vf(4, 6) + _vf(5, 10)),
        _bf(5, _vf(5, (1 << 64) - 3) + _vf(4, 8) + _vf(2, 7) + _vf(1, 2)),
        _bf(5, _vf(1, 3) + _vf(2, 9) + _vf(9, 77) + _vf(4, 8)),
    ]
    line = lambda f, n: _bf(4, (_vf(1, f) if f else b"") + _vf(2, n))  # noqa: E731
    # locations: plain; inlined (3 lines, fields after the lines); address only; line without function
    p += [
        _bf(4, _vf(1, 1) + _vf(2, 1) + _vf(3, 0x401000) + line(1, 12)),
        _bf(4, line(3, 7) + line(2, 40) + _vf(1, 2) + line(1, 13) + _vf(3, 0x402000) + _vf(5, 1)),
        _bf(4, _vf(3, 0x7FFF_FFFF_0000) + _vf(1, 3) + _vf(2, 1)),
        _bf(4, _vf(1, 40) + line(0, 99)),
    ]
    p.append(_bf(3, _vf(1, 1) + _vf(2, 0x400000) + _vf(3, 0x500000) + _vf(5, 10)))  # mapping
    samples = [
        _bf(1, _v(1) + _v(2)) + _bf(2, _v(1) + _v(10)),  # packed both
        _vf(2, 2) + _vf(2, 20) + _vf(1, 40),  # unpacked, values first
        _vf(1, 3) + _vf(1, 1) + _bf(2, _v(3) + _v(30)),  # two unpacked location fields
        _bf(1, _v(2) + _v(1)) + _vf(2, 1) + _bf(2, _v(7)),  # values split over two fields
        _bf(2, _v(1) + _v((1 << 64) - 5)),  # no locations, negative value
        _bf(1, _v(1) + _v(2)) + _bf(2, _v(4) + _v(40)) + _bf(3, _vf(1, 11) + _vf(2, 12)),  # string label
        _bf(1, _v(40)) + _bf(2, _v(1) + _v(1)) + _bf(3, _vf(1, 11) + _vf(3, 512) + _vf(4, 13)),  # numeric
        _bf(1, _v(1) + _v(2)) + _bf(2, _v(5) + _v(50)) + _vf(9, 1),  # unknown field
    ]
    for i, smp in enumerate(samples):
        # one sample with a non-canonical two-byte key: 0x92 0x00 is field 2, wire type 2
        p.append(_bf(2, smp, key=b"\x92\x00" if i == 3 else None))
    p.append(_bf(20, b"ignored"))  # unknown length-delimited field, two-byte key
    p += [_bf(6, s.encode()) for s in strings]
    p.append(_vf(12, 10_000_000))
    p.append(_bf(11, _vf(1, 3) + _vf(2, 4)))
    return b"".join(p)


def test_odd_encodings_decode_to_what_was_written() -> None:
    prof = parse_pprof(_odd_profile())
    assert prof.sample_types == [("samples", "count"), ("cpu", "nanoseconds")]
    assert (prof.time_ns, prof.duration_ns, prof.period, prof.period_type) == (
        1_700_000_000_000_000_000,
        5_000_000_000,
        10_000_000,
        ("cpu", "nanoseconds"),
    )
    main = Frame("main.main", "main.main", "main.go", 10, 12)
    assert prof.locations == [
        Location(0x401000, "/bin/app", (main,)),
        Location(
            0x402000,
            "",
            (
                Frame("inl.g", "", "rt.go", 0, 7),
                Frame("runtime.f", "", "rt.go", -3, 40),
                Frame("main.main", "main.main", "main.go", 10, 13),
            ),
        ),
        Location(0x7FFF_FFFF_0000, "/bin/app", ()),
        Location(0, "", (Frame("", "", "", 0, 99),)),
    ]
    stacks = [list(prof.stacks[k]) for k in prof.sample_stack.tolist()]
    assert stacks == [[0, 1], [3], [2, 0], [1, 0], [], [0, 1], [3], [0, 1]]
    assert prof.values.tolist() == [[1, 10], [2, 20], [3, 30], [1, 7], [1, -5], [4, 40], [1, 1], [5, 50]]
    assert prof.labels[5] == {"handler": ["/x"]}
    assert prof.num_labels[6] == {"handler": [512]} and prof.num_label_units == {"handler": "bytes"}
    assert prof.labels[0] is None and prof.num_labels[0] is None
    assert prof.mappings[0]["filename"] == "/bin/app"


def test_locations_built_on_demand_and_edits_seen() -> None:
    from apiprobe.analyze.profiles import profile_top

    prof = read_pprof(corpus("sample.cpu.pb.gz"))
    before = profile_top(prof)
    locs = prof.locations
    assert prof.locations is locs  # built once
    # an in-place edit of a location is picked up by the next table
    k, loc = next((k, loc) for k, loc in enumerate(locs) if loc.lines and loc.lines[0].function)
    old = loc.lines[0].function
    locs[k] = loc._replace(lines=(loc.lines[0]._replace(function="renamed.fn"), *loc.lines[1:]))
    after = profile_top(prof)
    assert "renamed.fn" in set(after["function"])
    assert after["flat"].sum() == before["flat"].sum()
    # so is a replaced list
    prof.locations = [loc._replace(lines=()) for loc in locs]
    names = profile_top(prof)["function"].tolist()
    assert names and all(n == "<unknown>" or n.startswith("[") for n in names)
    assert old not in names


@pytest.mark.parametrize("seed", range(5))
def test_varint_helpers_on_random_data(seed: int) -> None:
    from apiprobe.load._protobuf import packed_varints, segment_varints, split_varints, varints_at

    rng = random.Random(seed)
    vals = [rng.getrandbits(rng.choice([3, 7, 14, 20, 28, 35, 56, 63])) for _ in range(3000)]
    data = b"".join(_v(x) for x in vals)
    a = np.frombuffer(data, dtype=np.uint8)
    got, last = split_varints(a)
    assert got.tolist() == vals == packed_varints(data, 0, len(data))
    cuts = sorted(rng.sample(range(1, len(vals)), 40))
    seg_end = np.asarray([int(last[c - 1]) + 1 for c in cuts] + [len(data)], dtype=np.int64)
    decoded = segment_varints(a, seg_end)
    assert decoded is not None
    assert decoded[0].tolist() == vals
    assert np.cumsum(decoded[1]).tolist() == [*cuts, len(vals)]
    starts = np.concatenate([[0], last[:-1] + 1]).astype(np.int64)
    limit = np.full(starts.shape[0], len(data), dtype=np.int64)
    v, end, ok = varints_at(a, starts, limit)
    assert ok.all() and v.tolist() == vals and (end == last + 1).all()
    v, end, ok = varints_at(a, starts, starts + 1)  # only one byte allowed
    assert (ok == (np.asarray(vals) < 128)).all()
