"""The pprof :class:`Profile` object and its location tables.

A decoded profile keeps stacks deduplicated (one entry per unique
location-id sequence) and its locations, lines and functions as arrays
(:class:`LocTable`); the :class:`Location`/:class:`Frame` objects and the
per-frame table are built only when first asked for. Decoding lives in
:mod:`apiprobe.load._pprof_decode`; reading files in :mod:`apiprobe.load.pprof`.
"""

from __future__ import annotations

import gc
import posixpath
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from apiprobe.errors import InvalidParameterError, ProfileFormatError


class Frame(NamedTuple):
    """One (possibly inlined) frame of a location: a ``Line`` with its function.

    Attributes
    ----------
    function : str
        Function name (empty when the line has no function).
    system_name : str
        Function name as the linker knows it.
    file : str
        Source file.
    start_line : int
        First line of the function.
    line : int
        Line number of this frame.
    """

    function: str
    system_name: str
    file: str
    start_line: int
    line: int


class Location(NamedTuple):
    """One location: address, mapping file and its frames (innermost first).

    Attributes
    ----------
    address : int
        Instruction address.
    mapping : str
        File of the mapping (binary) the address belongs to; empty when unknown.
    lines : tuple of Frame
        Frames at this address, innermost (inlined) first.
    """

    address: int
    mapping: str
    lines: tuple[Frame, ...]


class LocTable(NamedTuple):
    """Locations, their lines and their functions as arrays.

    Location ``k`` has address ``address[k]``, mapping file
    ``map_files[mapping[k]]`` and the lines ``line_offsets[k]`` to
    ``line_offsets[k + 1]`` (innermost first). A line refers to function
    ``line_func`` (``-1``: none) and has number ``line_number``; functions
    refer to ``strings`` by index. This is what the reader decodes;
    :attr:`Profile.locations` is built from it on first access.

    Attributes
    ----------
    strings : list of str
        The profile's string table.
    address : numpy.ndarray
        uint64 address per location.
    mapping : numpy.ndarray
        int64 index into ``map_files`` per location.
    map_files : list of str
        Mapping file names.
    line_offsets : numpy.ndarray
        int64, ``n_locations + 1`` offsets into the line arrays.
    line_func : numpy.ndarray
        int64 function index per line (``-1``: none).
    line_number : numpy.ndarray
        int64 line number per line.
    func_name, func_system_name, func_file : numpy.ndarray
        int64 indices into ``strings`` per function.
    func_start_line : numpy.ndarray
        int64 start line per function.
    """

    strings: list[str]
    address: np.ndarray  # uint64
    mapping: np.ndarray  # int64 index into map_files
    map_files: list[str]
    line_offsets: np.ndarray  # int64, n_locations + 1
    line_func: np.ndarray  # int64
    line_number: np.ndarray  # int64
    func_name: np.ndarray  # int64 string index
    func_system_name: np.ndarray  # int64 string index
    func_file: np.ndarray  # int64 string index
    func_start_line: np.ndarray  # int64

    @property
    def n_locations(self) -> int:
        """Number of locations."""
        return int(self.address.shape[0])


@dataclass
class Profile:
    """A decoded pprof profile.

    Stacks are stored deduplicated in CSR form: stack ``k`` is
    ``stack_locs[stack_offsets[k]:stack_offsets[k + 1]]``, indices into
    ``locations`` (leaf first); ``sample_stack[i]`` is the stack of sample
    ``i``. ``values[i, j]`` is sample ``i``'s value for ``sample_types[j]``.
    The ``locations`` list and the ``samples`` and ``frames`` tables are
    built on first access.

    Attributes
    ----------
    sample_types : list of (str, str)
        ``(type, unit)`` per value column, e.g. ``("cpu", "nanoseconds")``.
    default_sample_type : str
        The type ``go tool pprof`` shows by default (empty: the last one).
    locations : list of Location
        Locations in file order; stack entries index this list.
    stack_offsets, stack_locs : numpy.ndarray
        The unique stacks in CSR form (int64).
    sample_stack : numpy.ndarray
        int64 stack index per sample.
    values : numpy.ndarray
        int64, one row per sample and one column per sample type.
    labels, num_labels : list of dict or None
        String and numeric labels per sample (None: no labels).
    num_label_units : dict of str to str
        Unit per numeric label key.
    period_type : (str, str)
        ``(type, unit)`` of ``period``.
    period : int
        Sampling period, in ``period_type`` units.
    time_ns, duration_ns : int
        Start (ns since the epoch) and length (ns) of the profile.
    comments : list of str
        Free-text comments.
    drop_frames, keep_frames : str
        The profile's frame-dropping regexes.
    mappings : list of dict
        The binaries mapped into the process.
    source : str
        The file the profile came from (``"<bytes>"`` when parsed from bytes).
    """

    sample_types: list[tuple[str, str]]
    default_sample_type: str
    locations: list[Location]
    stack_offsets: np.ndarray
    stack_locs: np.ndarray
    sample_stack: np.ndarray
    values: np.ndarray
    labels: list[dict[str, list[str]] | None]
    num_labels: list[dict[str, list[int]] | None]
    num_label_units: dict[str, str] = field(default_factory=dict)
    period_type: tuple[str, str] = ("", "")
    period: int = 0
    time_ns: int = 0
    duration_ns: int = 0
    comments: list[str] = field(default_factory=list)
    drop_frames: str = ""
    keep_frames: str = ""
    mappings: list[dict[str, Any]] = field(default_factory=list)
    source: str = "<bytes>"
    _samples: pd.DataFrame | None = field(default=None, repr=False)
    _frames: pd.DataFrame | None = field(default=None, repr=False)
    # the decoded arrays behind `locations` (None: `locations` is all there is)
    _loc_table: LocTable | None = field(default=None, repr=False, compare=False)
    # (list, copy of it, token) when `locations` was built or last seen changed
    _loc_snapshot: tuple[list[Location], list[Location], object] | None = field(default=None, repr=False, compare=False)
    # the snapshot token under which `_loc_table` still describes `locations`
    _table_token: object = field(default=None, repr=False, compare=False)
    # derived arrays of apiprobe.analyze.profiles, validated by `_loc_version()`
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    # -- small conveniences ------------------------------------------------
    @property
    def n_stacks(self) -> int:
        """Number of unique stacks."""
        return int(self.stack_offsets.shape[0] - 1)

    @property
    def stacks(self) -> list[tuple[int, ...]]:
        """Unique stacks as tuples of location indices, leaf first."""
        off = self.stack_offsets.tolist()
        flat = self.stack_locs.tolist()
        return [tuple(flat[off[k] : off[k + 1]]) for k in range(len(off) - 1)]

    @property
    def time(self) -> pd.Timestamp | None:
        """Start of the profile as a UTC timestamp (``None`` when unset)."""
        if not self.time_ns:
            return None
        return pd.Timestamp(self.time_ns, unit="ns", tz="UTC")

    @property
    def n_samples(self) -> int:
        """Number of samples."""
        return int(self.sample_stack.shape[0])

    def sample_index(self, which: int | str | None = None) -> int:
        """Resolve a sample index like ``-sample_index``: ``None`` → default, a type name, or an int."""
        n = len(self.sample_types)
        if n == 0:
            raise ProfileFormatError(f"{self.source}: profile has no sample types")
        if which is None:
            for i, (t, _u) in enumerate(self.sample_types):
                if self.default_sample_type and t == self.default_sample_type:
                    return i
            return n - 1
        if isinstance(which, str):
            for i, (t, _u) in enumerate(self.sample_types):
                if t == which:
                    return i
            if which.isdigit():
                which = int(which)
            else:
                known = ", ".join(t for t, _ in self.sample_types)
                raise InvalidParameterError(f"sample type {which!r} not in profile (have: {known})")
        if not 0 <= which < n:
            raise InvalidParameterError(f"sample index {which} out of range (0..{n - 1})")
        return int(which)

    def total(self, sample_index: int | str | None = None) -> int:
        """Sum of the values of one sample type (signed)."""
        return int(self.values[:, self.sample_index(sample_index)].sum())

    # -- locations: decoded arrays, objects on demand ------------------------
    def _loc_version(self) -> object:
        """A token that changes whenever ``locations`` is replaced or edited in place."""
        locs = self.__dict__.get("_locations")
        if locs is None:
            return self._loc_table
        snap = self._loc_snapshot
        # list comparison checks identity first: cheap while nothing changed
        if snap is None or snap[0] is not locs or snap[1] != locs:
            snap = (locs, list(locs), object())
            self._loc_snapshot = snap
        return snap[2]

    def _table(self) -> LocTable | None:
        """The arrays behind ``locations`` while they still describe it, else ``None``."""
        table = self._loc_table
        if table is None or self.__dict__.get("_locations") is None:
            return table
        return table if self._loc_version() is self._table_token else None

    def _set_table(self, table: LocTable) -> None:
        """Make ``table`` the (lazy) source of ``locations``."""
        self._loc_table = table
        self.__dict__["_locations"] = None
        self._loc_snapshot = None
        self._table_token = None
        self._frames = None

    # -- tables --------------------------------------------------------------
    @property
    def samples(self) -> pd.DataFrame:
        """Each row is one sample.

        Columns: ``sample_id`` (int, position in the file), ``stack_id``
        (index into :attr:`stacks`), one int64 column per sample type named
        by the type (e.g. ``samples``, ``cpu``; unit in :attr:`sample_types`),
        then ``label:<key>`` for every label key: string labels as str
        (several values joined with ``,``), numeric labels as Int64 (unit in
        :attr:`num_label_units`).
        """
        if self._samples is None:
            self._samples = self._build_samples()
        return self._samples

    @property
    def frames(self) -> pd.DataFrame:
        """Each row is one frame of one sample (a sample × depth).

        Columns: ``sample_id``, ``depth`` (0 = leaf; inlined frames get their
        own depth), ``function`` (name; ``""`` for address-only locations),
        ``file``, ``line`` (int, 0 unknown), ``inlined`` (bool: this frame
        was inlined into the next one up), ``address`` (int, program
        counter), ``mapping`` (binary file name, ``""`` when none).
        """
        if self._frames is None:
            self._frames = self._build_frames()
        return self._frames

    def _build_samples(self) -> pd.DataFrame:
        n = self.n_samples
        data: dict[str, Any] = {
            "sample_id": np.arange(n, dtype="int64"),
            "stack_id": self.sample_stack.astype("int64"),
        }
        seen: set[str] = set()
        for j, (t, _u) in enumerate(self.sample_types):
            name = t or f"value{j}"
            if name in seen:
                name = f"{name}_{j}"
            seen.add(name)
            data[name] = self.values[:, j].astype("int64")
        skeys = sorted({k for d in self.labels if d for k in d})
        nkeys = sorted({k for d in self.num_labels if d for k in d})
        for k in skeys:
            data[f"label:{k}"] = pd.array(
                [",".join(d[k]) if d and k in d else None for d in self.labels], dtype="string"
            )
        for k in nkeys:
            col = f"label:{k}"
            vals = [d[k][0] if d and k in d else None for d in self.num_labels]
            if col in data:  # same key used for strings and numbers: keep both
                col = f"label:{k}#num"
            data[col] = pd.array(vals, dtype="Int64")
        return pd.DataFrame(data)

    def _frame_rows(self) -> tuple[dict[str, np.ndarray], list[list[str]], np.ndarray]:
        """Frames of every location as arrays: columns, the string list of each
        string column (``function``, ``file``, ``mapping``: int codes into it),
        and the number of frames per location."""
        table = self._table()
        if table is not None:
            t = table
            nlines = np.diff(t.line_offsets)
            nfr = np.maximum(nlines, 1)
            nrows = int(nfr.sum())
            row_loc = np.repeat(np.arange(nfr.shape[0], dtype=np.int64), nfr)
            row_first = np.repeat(np.cumsum(nfr) - nfr, nfr)
            pos = np.arange(nrows, dtype=np.int64) - row_first
            has_line = nlines[row_loc] > 0
            line = np.where(has_line, t.line_offsets[:-1][row_loc] + pos, -1)
            any_lines = t.line_func.size > 0
            line_c = np.maximum(line, 0)
            lf = np.where(has_line, t.line_func[line_c], -1) if any_lines else np.full(nrows, -1, dtype=np.int64)
            has_fn = lf >= 0
            fi = np.maximum(lf, 0)
            empty = np.zeros(nrows, dtype=np.int64)
            cols = {
                "function": np.where(has_fn, t.func_name[fi], 0) if t.func_name.size else empty,
                "file": np.where(has_fn, t.func_file[fi], 0) if t.func_file.size else empty,
                "line": np.where(has_line, t.line_number[line_c], 0) if any_lines else empty,
                "inlined": has_line & (pos != nlines[row_loc] - 1),
                "address": t.address[row_loc],
                "mapping": t.mapping[row_loc],
            }
            strings = t.strings if t.strings else [""]
            return cols, [strings, strings, t.map_files], nfr
        # from the Location objects
        fn: list[str] = []
        fl: list[str] = []
        ln: list[int] = []
        inl: list[bool] = []
        addr: list[int] = []
        mp: list[str] = []
        locations = self.locations
        nfr = np.zeros(len(locations), dtype="int64")
        for k, loc in enumerate(locations):
            if not loc.lines:
                fn.append("")
                fl.append("")
                ln.append(0)
                inl.append(False)
                addr.append(loc.address)
                mp.append(loc.mapping)
                nfr[k] = 1
                continue
            last = len(loc.lines) - 1
            for i, fr in enumerate(loc.lines):
                fn.append(fr.function)
                fl.append(fr.file)
                ln.append(fr.line)
                inl.append(i != last)
                addr.append(loc.address)
                mp.append(loc.mapping)
            nfr[k] = last + 1
        n = len(fn)
        return (
            {
                "function": np.arange(n, dtype=np.int64),
                "file": np.arange(n, dtype=np.int64) + n,
                "line": np.asarray(ln, dtype=np.int64).reshape(n),
                "inlined": np.asarray(inl, dtype=bool).reshape(n),
                "address": np.asarray(addr, dtype=np.uint64).reshape(n),
                "mapping": np.arange(n, dtype=np.int64) + 2 * n,
            },
            [fn + fl + mp] * 3,
            nfr,
        )

    def _build_frames(self) -> pd.DataFrame:
        # Frames of every location, then of every unique stack, then per sample.
        cols, strings, nfr = self._frame_rows()
        loc_start = np.concatenate([[0], np.cumsum(nfr)])[:-1].astype(np.int64)
        # frames of each unique stack (CSR over location frames)
        sl = self.stack_locs
        per_entry = nfr[sl]
        entry_stack = np.repeat(np.arange(self.n_stacks), np.diff(self.stack_offsets))
        per_stack_len = np.bincount(entry_stack, weights=per_entry, minlength=self.n_stacks).astype("int64")
        e_start = np.repeat(loc_start[sl], per_entry)
        e_first = np.repeat(np.cumsum(per_entry) - per_entry, per_entry)
        stack_frame_src = e_start + (np.arange(int(per_entry.sum())) - e_first)
        starts = np.zeros(self.n_stacks + 1, dtype="int64")
        np.cumsum(per_stack_len, out=starts[1:])
        lens = per_stack_len[self.sample_stack]
        total = int(lens.sum())
        sample_id = np.repeat(np.arange(self.n_samples, dtype="int64"), lens)
        row_start = np.repeat(np.cumsum(lens) - lens, lens)
        depth = np.arange(total, dtype="int64") - row_start
        src = stack_frame_src[np.repeat(starts[:-1][self.sample_stack], lens) + depth]
        out: dict[str, Any] = {"sample_id": sample_id, "depth": depth}
        for name, col in cols.items():
            if name in ("function", "file", "mapping"):
                strs = strings[("function", "file", "mapping").index(name)]
                out[name] = _categorical(col[src], strs)
            else:
                out[name] = col[src]
        return pd.DataFrame(out)


def _categorical(idx: np.ndarray, strings: list[str]) -> pd.Categorical:
    """``pd.Categorical([strings[i] for i in idx])`` (sorted categories) without the per-row objects."""
    if idx.size == 0:
        return pd.Categorical([])
    used = distinct_indices(idx, len(strings))
    names = [strings[i] for i in used.tolist()]
    cats = sorted(set(names))
    pos = {c: i for i, c in enumerate(cats)}
    code_of_used = np.fromiter((pos[c] for c in names), dtype=np.int64, count=len(names))
    codes = code_of_used[np.searchsorted(used, idx)]
    return pd.Categorical.from_codes(codes, categories=pd.Index(cats))


def distinct_indices(idx: np.ndarray, n: int) -> np.ndarray:
    """The distinct values of ``idx`` (each in ``0..n - 1``), sorted."""
    seen = np.zeros(n, dtype=bool)
    seen[idx] = True
    return np.flatnonzero(seen)


def _get_locations(self: Profile) -> list[Location]:
    locs: list[Location] | None = self.__dict__.get("_locations")
    if locs is None:
        table = self._loc_table
        if table is not None:
            with gc_paused():  # tens of thousands of small tuples, no cycles
                locs = _table_locations(table)
        else:
            locs = []
        self.__dict__["_locations"] = locs
        snap = (locs, list(locs), object())
        self._loc_snapshot = snap
        self._table_token = snap[2]
    return locs


def _set_locations(self: Profile, value: list[Location]) -> None:
    self.__dict__["_locations"] = value


# `locations` is a dataclass field (constructor argument, repr, eq) whose
# objects are built from the decoded arrays on first access.
Profile.locations = property(  # type: ignore[assignment]
    _get_locations, _set_locations, doc="Locations (:class:`Location`), in file order; stack entries index this list."
)


def _table_locations(t: LocTable) -> list[Location]:
    """The :class:`Location` objects of a :class:`LocTable`."""
    strings = t.strings
    names = [strings[i] for i in t.func_name.tolist()]
    sysnames = [strings[i] for i in t.func_system_name.tolist()]
    files = [strings[i] for i in t.func_file.tolist()]
    starts = t.func_start_line.tolist()
    frames = [
        Frame(names[f], sysnames[f], files[f], starts[f], ln) if f >= 0 else Frame("", "", "", 0, ln)
        for f, ln in zip(t.line_func.tolist(), t.line_number.tolist(), strict=True)
    ]
    off = t.line_offsets.tolist()
    mfile = [t.map_files[m] for m in t.mapping.tolist()]
    return [
        Location(addr, mf, tuple(frames[off[k] : off[k + 1]]))
        for k, (addr, mf) in enumerate(zip(t.address.tolist(), mfile, strict=True))
    ]


def share_locations(dst: Profile, src: Profile) -> None:
    """Give ``dst`` the locations of ``src`` (lazily when ``src`` still has its arrays)."""
    table = src._table()
    if table is not None:
        dst._set_table(table)
    else:
        dst.locations = src.locations


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (restoring its state afterwards).

    Decoding allocates tens of thousands of small acyclic tuples; without
    this the collector runs over and over on the growing heap for nothing.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def clean_path(p: str) -> str:
    """Go's ``filepath.Clean`` for slash paths (what pprof shows as a file name)."""
    if not p:
        return p
    out = posixpath.normpath(p)
    if out.startswith("//"):
        out = "/" + out.lstrip("/")
    return out


def concat_profiles(parts: Sequence[Profile], *, source: str) -> Profile:
    """Merge profiles with the same sample types into one (samples concatenated)."""
    first = parts[0]
    locations: list[Location] = []
    offsets: list[np.ndarray] = [np.zeros(1, dtype=np.int64)]
    locs: list[np.ndarray] = []
    sample_stack: list[np.ndarray] = []
    labels: list[dict[str, list[str]] | None] = []
    num_labels: list[dict[str, list[int]] | None] = []
    units: dict[str, str] = {}
    n_stacks = 0
    n_entries = 0
    for p in parts:
        locs.append(p.stack_locs + len(locations))
        offsets.append(p.stack_offsets[1:] + n_entries)
        sample_stack.append(p.sample_stack + n_stacks)
        locations.extend(p.locations)
        n_stacks += p.n_stacks
        n_entries += int(p.stack_locs.shape[0])
        labels.extend(p.labels)
        num_labels.extend(p.num_labels)
        units.update(p.num_label_units)
    return Profile(
        sample_types=list(first.sample_types),
        default_sample_type=first.default_sample_type,
        locations=locations,
        stack_offsets=np.concatenate(offsets),
        stack_locs=np.concatenate(locs) if locs else np.zeros(0, dtype=np.int64),
        sample_stack=np.concatenate(sample_stack),
        values=np.concatenate([p.values for p in parts], axis=0),
        labels=labels,
        num_labels=num_labels,
        num_label_units=units,
        period_type=first.period_type,
        period=first.period,
        time_ns=first.time_ns,
        duration_ns=first.duration_ns,
        comments=[c for p in parts for c in p.comments],
        mappings=[m for p in parts for m in p.mappings],
        source=source,
    )
