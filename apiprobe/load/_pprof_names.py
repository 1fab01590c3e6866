"""Function names as ``go tool pprof`` prints them: its demangling heuristic for names with brackets.

When it loads a profile, pprof runs every function through its symbolizer's
demangler. A name that is not mangled but *looks like* demangled C++ — it
holds ``<``, ``>``, ``[``, ``]`` or ``::`` — is simplified: parameter lists
``(…)`` and template arguments ``<…>`` are cut out, nested groups whole. Two
kinds of names are spared: Java's ``Class.<init>`` (``.<``) and Go methods on
generic types, ``pkg.(*T[…]).M`` (``]).``).

For Go this matters with type parameters: a profile symbolized from a binary
(eBPF profilers, ``perf``) names ``main.Process[go.shape.interface { Close() error }]``,
which pprof prints as ``main.Process[go.shape.interface { Close error }]``;
C++ overloads such as ``std::vector<int>::push_back(int)`` and
``std::vector<long>::push_back(long)`` become one row, ``std::vector::push_back``.
Go 1.19's and Go 1.27's ``go tool pprof`` agree on this (checked in
``tests/analyze/test_profiles.py``). Only names the profile did not already
demangle (``name`` equal to ``system_name``, or empty) are touched, as in pprof.
"""

from __future__ import annotations

import re

import numpy as np

__all__ = ["pprof_function_name", "pprof_name_indices"]


def _looks_like_demangled_cpp(name: str) -> bool:
    if ".<" in name or "])." in name:
        return False
    return any(c in name for c in "<>[]") or "::" in name


def _remove_matching(name: str, start: str, end: str) -> str:
    """``name`` without its (nested) ``start``…``end`` groups, removed left to right.

    A closer without an opener stops the walk: the groups removed so far stay
    removed, the rest is kept as it is (pprof's ``removeMatching``).
    """
    depth = first = 0
    i = 0
    while i < len(name):
        ch = name[i]
        if ch == start:
            depth += 1
            if depth == 1:
                first = i
        elif ch == end:
            depth -= 1
            if depth < 0:
                return name
            if depth == 0:
                name = name[:first] + name[i + 1 :]
                i = first
                continue
        i += 1
    return name


def pprof_function_name(name: str, system_name: str) -> str:
    """The name ``go tool pprof`` shows for a function with ``name`` and ``system_name``.

    Parameters
    ----------
    name : str
        The function's name in the profile.
    system_name : str
        Its system (mangled) name.

    Returns
    -------
    str
        ``name`` when the profile already demangled it (it differs from
        ``system_name``); else ``system_name`` simplified by pprof's heuristic.
    """
    if name and system_name != name:
        return name
    if _looks_like_demangled_cpp(system_name):
        return _remove_matching(_remove_matching(system_name, "(", ")"), "<", ">")
    return system_name


def pprof_name_indices(strings: list[str], name: np.ndarray, system_name: np.ndarray) -> np.ndarray:
    """Function name string indices after :func:`pprof_function_name`; new names are appended to ``strings``.

    Parameters
    ----------
    strings : list of str
        The profile's string table (extended in place with simplified names).
    name, system_name : numpy.ndarray
        Per function, the string indices of its name and system name.

    Returns
    -------
    numpy.ndarray
        Per function, the index of the name pprof shows (int64).
    """
    out = np.asarray(name, dtype=np.int64).copy()
    sys_idx = np.asarray(system_name, dtype=np.int64)
    # only names pprof may rewrite: equal to the system name, or empty (string 0 is always "")
    same = (out == sys_idx) | (out == 0)
    if not same.any():
        return out
    remap = np.arange(len(strings), dtype=np.int64)
    for si in np.unique(sys_idx[same]).tolist():
        text = strings[si]
        if _SPECIAL.search(text) is None:
            continue
        shown = pprof_function_name("", text)
        if shown != text:
            remap[si] = len(strings)
            strings.append(shown)
    out[same] = remap[sys_idx[same]]
    return out


_SPECIAL = re.compile(r"[<>\[\]]|::")
