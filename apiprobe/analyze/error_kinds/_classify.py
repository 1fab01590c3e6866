"""Classification of log events by the error taxonomy: :func:`classify_errors` and friends.

:func:`classify_errors` fills ``error_kind`` (vocabulary
:data:`~apiprobe.schema.ERROR_KINDS`) and adds ``error_layer`` (keys of
:data:`~apiprobe.schema.ERROR_LAYERS`), ``retryable`` and ``error_rule`` to an
``events`` table. Each line is classified from, in order:

1. an ``error_kind`` value already in the table;
2. an explicit code in ``attrs``: ``error_kind``, ``error_code`` (also
   ``errorCode``, ``err_code``) or ``code`` (a vocabulary kind, an alias such
   as ``ECONNREFUSED``, ``UNAVAILABLE`` or ``rate_limit_exceeded``, or an HTTP
   status); an Arrow struct/map column and an object column of dicts both work;
3. the Go error string in ``error`` — or in ``msg`` when ``error`` is NA and
   the line is not at trace/debug/info level — matched against
   :data:`~apiprobe.analyze.error_kinds.ERROR_PATTERNS` (first matching rule wins; the most specific rules
   come first, so ``context deadline exceeded (Client.Timeout exceeded while
   awaiting headers)`` is a ``read_timeout``, not a bare ``deadline_exceeded``);
4. the HTTP ``status``: 429 → ``rate_limited``, 5xx → ``server_error``, other
   4xx → ``client_error`` (401, 403 and 404 are left out, as the vocabulary says:
   they are usually answers, not failures);
5. otherwise a line with an error text, an unknown error code, or at
   error/fatal level is ``error`` (an unexpected failure). A success-like code
   (0, "0", "", "OK", "success", a 2xx/3xx number) is never an error; an
   unknown ``error_code`` / ``error_kind`` value is, but an unknown ``code``
   only when it is a non-numeric string on a warn/error/fatal line (``code``
   is as often a country or product code).

Re-classifying a classified table gives the same result: kinds that came from
an explicit ``error_kind`` are kept, the others are derived again.

``retryable`` answers "can a retry of the same (idempotent) request
succeed?": True for refused and reset connections, GOAWAY, closed idle
connections, pool timeouts, 502/503/504 and 429 (after the back-off it asks
for); False for certificate errors, NXDOMAIN, validation errors, an open
breaker and the caller's own cancellation; **NA means "maybe"**: a
``deadline_exceeded`` or read timeout may be worth one retry only when the
caller's budget has time left and the request is idempotent (the server may
have done the work), and a bare 500 may be a deterministic bug.

Classification is vectorised over the distinct values: each distinct error
string, code and status is classified once (regexes run through pyarrow's
RE2 over the distinct strings) and the result is mapped back to the rows.

The rules themselves are data, in :mod:`apiprobe.analyze.error_kinds._rules`.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict
from itertools import repeat
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from apiprobe.analyze._sources import is_dask
from apiprobe.analyze.error_kinds._rules import _CODE_ALIASES, _CODE_RETRYABLE, ERROR_PATTERNS, KIND_DEFAULTS
from apiprobe.schema import ERROR_KINDS

__all__ = ["classify_error_text", "classify_errors", "error_taxonomy"]

_RETRYABLE_5XX = frozenset({502, 503, 504})
_NOT_FAILURE_4XX = frozenset({401, 403, 404})
_QUIET_LEVELS = frozenset({"trace", "debug", "info"})
_ERROR_LEVELS = frozenset({"error", "fatal"})
_LOUD_LEVELS = frozenset({"warn", "warning", "error", "fatal"})
_ATTR_KEYS = ("error_kind", "error_code", "errorCode", "err_code", "code")

Info = tuple[str, str | None, bool | None, str]


def _kind_info(kind: str, rule: str, code: str = "") -> Info:
    layer, retry = KIND_DEFAULTS.get(kind, (None, None))
    return kind, layer, _CODE_RETRYABLE.get(code, retry), rule


def _status_info(code: int, rule: str = "status") -> Info | None:
    if code == 429:
        return "rate_limited", "server", True, f"{rule}:429"
    if 500 <= code <= 599:
        return "server_error", "server", (True if code in _RETRYABLE_5XX else None), f"{rule}:5xx"
    if code == 408:
        return "client_error", "client", True, f"{rule}:4xx"
    if 400 <= code <= 499 and code not in _NOT_FAILURE_4XX:
        return "client_error", "client", False, f"{rule}:4xx"
    return None


def _code_info(value: Any, rule: str) -> Info | None:
    """Classify an explicit code: a vocabulary kind, an alias, or an HTTP status."""
    if value is None or isinstance(value, bool) or value is pd.NA:
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        if not np.isfinite(value) or float(value) != int(value):
            return None
        return _status_info(int(value), rule)
    text = str(value).strip()
    if not text:
        return None
    if text.isdigit():
        return _status_info(int(text), rule)
    key = re.sub(r"[\s.\-]+", "_", text.lower())
    if key in ERROR_KINDS:
        return _kind_info(key, rule)
    kind = _CODE_ALIASES.get(key) or _CODE_ALIASES.get(key.replace("_", ""))
    return _kind_info(kind, rule, key) if kind else None


#: Every classification an explicit ``error_kind`` value can give.
_EXPLICIT_INFOS: frozenset[Info] = frozenset(
    info
    for info in (
        *(_code_info(k, "error_kind") for k in (*ERROR_KINDS, *_CODE_ALIASES)),
        *(_code_info(c, "error_kind") for c in range(400, 600)),
    )
    if info is not None
)


def _match_rules(texts: Sequence[str]) -> np.ndarray:
    """Index into :data:`ERROR_PATTERNS` of the first rule matching each text; -1 when none matches."""
    out = np.full(len(texts), -1, dtype=np.int64)
    if not len(texts):
        return out
    remaining = np.arange(len(texts))
    arr = pa.array(list(texts), type=pa.large_string())
    for i, rule in enumerate(ERROR_PATTERNS):
        hit = pc.match_substring_regex(arr, rule.pattern, ignore_case=not rule.case_sensitive)
        mask = np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)
        if mask.any():
            out[remaining[mask]] = i
            keep = ~mask
            remaining = remaining[keep]
            if not len(remaining):
                break
            arr = arr.filter(pa.array(keep))
    return out


def error_taxonomy() -> pd.DataFrame:
    """The classification rules as a table, in priority order (first match wins).

    Returns
    -------
    pandas.DataFrame
        ``priority``, ``name``, ``kind``, ``layer``, ``retryable`` (NA: maybe),
        ``pattern``, ``case_sensitive``, ``example``, ``note`` and
        ``kind_doc`` (the vocabulary's description of the kind).
    """
    df = pd.DataFrame([asdict(r) for r in ERROR_PATTERNS])
    df.insert(0, "priority", np.arange(1, len(df) + 1))
    df["retryable"] = pd.array(df["retryable"].tolist(), dtype="boolean")
    df["kind_doc"] = df["kind"].map(ERROR_KINDS)
    for col in ("name", "kind", "layer", "pattern", "example", "note", "kind_doc"):
        df[col] = df[col].astype("string")
    return df[
        ["priority", "name", "kind", "layer", "retryable", "pattern", "case_sensitive", "example", "note", "kind_doc"]
    ]


def classify_error_text(text: str | None) -> tuple[str | None, str | None, bool | None]:
    """Classify one error string.

    Parameters
    ----------
    text : str or None
        An error as a Go service logs it, e.g. ``dial tcp 10.0.0.5:8080:
        connect: connection refused``.

    Returns
    -------
    tuple
        ``(kind, layer, retryable)``: ``kind`` from
        :data:`~apiprobe.schema.ERROR_KINDS` (``"error"`` when no rule matches,
        None for an empty text), ``layer`` from
        :data:`~apiprobe.schema.ERROR_LAYERS` or None, ``retryable`` True,
        False or None ("maybe").

    Examples
    --------
    >>> classify_error_text('Get "http://q/": context deadline exceeded '
    ...                     '(Client.Timeout exceeded while awaiting headers)')
    ('read_timeout', 'request', None)
    """
    if text is None or text is pd.NA or not str(text).strip():
        return None, None, None
    idx = int(_match_rules([str(text)])[0])
    if idx < 0:
        return "error", None, None
    rule = ERROR_PATTERNS[idx]
    return rule.kind, rule.layer, rule.retryable


# --------------------------------------------------------------------------- classify_errors


class _Infos:
    """A growing table of distinct classifications; rows point into it by index."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.rows: list[Info] = []
        self._index: dict[Info, int] = {}

    def add(self, info: Info | None) -> int:
        if info is None:
            return -1
        idx = self._index.get(info)
        if idx is None:
            idx = self._index[info] = len(self.rows)
            self.rows.append(info)
        return idx

    def per_row(
        self, values: Any, positions: np.ndarray | None, classify: Callable[[list[Any]], list[Info | None]]
    ) -> np.ndarray:
        """Classify the distinct non-NA ``values`` once; the index of each row's classification, -1 for none.

        ``values`` holds the rows at ``positions`` (every row when None).
        """
        out = np.full(self.n, -1, dtype=np.int64)
        if len(values) == 0:
            return out
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        if not len(uniques):
            return out
        table = np.asarray([self.add(i) for i in classify(list(uniques))] + [-1], dtype=np.int64)
        per_value = table[np.where(codes >= 0, codes, len(uniques))]
        if positions is None:
            return per_value
        out[positions] = per_value
        return out


def _sparse(values: list[Any]) -> tuple[np.ndarray, list[Any]]:
    """Positions and values of the non-None entries, with values factorize can hash."""
    if values.count(None) == len(values):
        return np.zeros(0, dtype=np.int64), []
    pos = np.flatnonzero(np.fromiter(map(operator.is_not, values, repeat(None)), dtype=bool, count=len(values)))
    vals = [v if isinstance(v, str | int | float | bool) else str(v) for v in (values[i] for i in pos)]
    return pos, vals


def _attr_values(attrs: pd.Series) -> dict[str, tuple[np.ndarray, list[Any]]]:
    """For each key of ``_ATTR_KEYS``: (positions, values) of the rows whose attrs carry it."""
    dtype = attrs.dtype
    out: dict[str, tuple[np.ndarray, list[Any]]] = {}
    if isinstance(dtype, pd.ArrowDtype):
        data = pa.array(attrs)
        pa_type = dtype.pyarrow_dtype
        for key in _ATTR_KEYS:
            if pa.types.is_struct(pa_type):
                names = [pa_type.field(i).name for i in range(pa_type.num_fields)]
                if key not in names:
                    continue
                got = pc.struct_field(data, [names.index(key)])
            elif pa.types.is_map(pa_type):
                got = pc.map_lookup(data, pa.scalar(key, type=pa_type.key_type), "first")
            else:
                continue
            valid = np.asarray(pc.is_valid(got).to_numpy(zero_copy_only=False), dtype=bool)
            if valid.any():
                pos, vals = _sparse(got.filter(pa.array(valid)).to_pylist())
                out[key] = (np.flatnonzero(valid)[pos], vals)
        return out
    values = attrs.to_numpy(dtype=object).tolist()
    rows, dicts = _sparse_objects(values)
    for key in _ATTR_KEYS:
        try:
            got = list(map(dict.get, dicts, repeat(key)))
        except TypeError:  # not every value is a dict
            got = [a.get(key) if isinstance(a, dict) else None for a in dicts]
        pos, vals = _sparse(got)
        if len(pos):
            out[key] = (rows[pos], vals)
    return out


def _sparse_objects(values: list[Any]) -> tuple[np.ndarray, list[Any]]:
    """Positions and values of the entries that are not None (without copying when there is no None)."""
    nones = values.count(None)
    if nones == 0:
        return np.arange(len(values)), values
    if nones == len(values):
        return np.zeros(0, dtype=np.int64), []
    pos = np.flatnonzero(np.fromiter(map(operator.is_not, values, repeat(None)), dtype=bool, count=len(values)))
    return pos, [values[i] for i in pos]


def _lower_in(series: pd.Series, *allowed: frozenset[str]) -> list[np.ndarray]:
    """Case-insensitive membership of each value in each of ``allowed``, computed on the distinct values."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    where = np.where(codes >= 0, codes, len(uniques))
    lowered = [str(u).strip().lower() for u in uniques]
    return [np.asarray([u in a for u in lowered] + [False], dtype=bool)[where] for a in allowed]


def _on_distinct(series: pd.Series, test: Callable[[Any], bool]) -> np.ndarray:
    """``test`` of each value (False for NA), computed once per distinct value."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    return np.asarray([test(u) for u in uniques] + [False], dtype=bool)[np.where(codes >= 0, codes, len(uniques))]


def _present(series: pd.Series) -> np.ndarray:
    """True where a string column has a non-empty value."""
    return np.asarray((series.notna() & (series != "")).fillna(False), dtype=bool)


def _string(df: pd.DataFrame, col: str) -> pd.Series:
    if col not in df.columns:
        return pd.Series(pd.NA, index=df.index, dtype="string")
    return df[col].astype("string")


def _rule_infos(uniques: list[Any]) -> list[Info | None]:
    matched = _match_rules([str(u) for u in uniques])
    res: list[Info | None] = []
    for m in matched:
        rule = ERROR_PATTERNS[m] if m >= 0 else None
        res.append(None if rule is None else (rule.kind, rule.layer, rule.retryable, rule.name))
    return res


def _codes_classifier(rule: str) -> Callable[[list[Any]], list[Info | None]]:
    def classify(uniques: list[Any]) -> list[Info | None]:
        return [_code_info(u, rule) for u in uniques]

    return classify


_SUCCESS_WORDS = frozenset({"", "0", "ok", "success"})


def _success_code(value: Any) -> bool:
    """A code that says success: 0, "0", "", "OK"/"ok"/"success", or a 2xx/3xx number."""
    if value is None or value is pd.NA or isinstance(value, bool):
        return True  # not a code at all
    if isinstance(value, int | float | np.integer | np.floating):
        number: float = float(value)
    else:
        text = str(value).strip()
        if text.lower() in _SUCCESS_WORDS:
            return True
        try:
            number = float(text)
        except ValueError:
            return False
    return bool(np.isfinite(number)) and (number == 0 or (number == int(number) and 200 <= number <= 399))


def _is_number(value: Any) -> bool:
    if isinstance(value, int | float | np.integer | np.floating):
        return True
    try:
        float(str(value).strip())
    except ValueError:
        return False
    return True


def _unknown_codes(key: str, vals: list[Any], classified: np.ndarray, loud: np.ndarray) -> np.ndarray:
    """Which attrs values no rule knows make the line an (unmatched) error.

    ``classified`` tells which values were classified; ``loud`` which lines are at warn/error/fatal level.
    A success-like value never does; under the generic ``code`` only a string on a loud line does (a
    ``code`` is as often a country, currency or product code); under ``error_code``, ``errorCode``,
    ``err_code`` and ``error_kind`` any other value does, as the key says it is an error.
    """
    unknown = ~classified & ~np.fromiter(map(_success_code, vals), dtype=bool, count=len(vals))
    if key == "code":
        unknown &= loud & ~np.fromiter(map(_is_number, vals), dtype=bool, count=len(vals))
    return unknown


def _explicit_infos(out: pd.DataFrame, keep: np.ndarray) -> tuple[np.ndarray, list[Info | None]]:
    """Positions and classifications of the lines a previous pass classified from an explicit ``error_kind``.

    The previous classification is kept when an explicit ``error_kind`` value can give it (``503`` gives
    ``server_error`` with rule ``error_kind:5xx``, ``UNAVAILABLE`` a retryable ``server_error``); otherwise
    (the columns were edited) the kind is classified again.
    """
    pos = np.flatnonzero(keep)
    cols = [
        _string(out, "error_kind"),
        _string(out, "error_layer"),
        (
            out["retryable"].astype("boolean")
            if "retryable" in out.columns
            else pd.Series(pd.NA, index=out.index, dtype="boolean")
        ).astype("string"),
        _string(out, "error_rule"),
    ]
    kind, layer, retry, rule = (c.iloc[pos].fillna("\x01") for c in cols)
    key = kind + "\x00" + layer + "\x00" + retry + "\x00" + rule
    codes, _ = pd.factorize(key, use_na_sentinel=False)
    first = np.unique(codes, return_index=True)[1]  # one row per distinct key, in code order
    infos: list[Info | None] = []
    for i in first:
        prev: Info = (
            kind.iloc[i],
            None if layer.iloc[i] == "\x01" else layer.iloc[i],
            {"true": True, "false": False}.get(retry.iloc[i].lower()),
            rule.iloc[i],
        )
        infos.append(prev if prev in _EXPLICIT_INFOS else _code_info(kind.iloc[i], "error_kind"))
    return pos, [infos[c] for c in codes]


def classify_errors(events: pd.DataFrame) -> pd.DataFrame:
    """Fill ``error_kind`` and add ``error_layer``, ``retryable`` and ``error_rule`` to an events table.

    Parameters
    ----------
    events : pandas.DataFrame or dask DataFrame
        Table with schema ``events`` (a dask DataFrame is classified
        partition by partition, lazily). Only ``error``, ``msg``, ``level``,
        ``status``, ``attrs`` and ``error_kind`` are read (and, on a table
        classified before, ``error_layer``, ``retryable`` and ``error_rule``);
        missing columns are treated as NA.

    Returns
    -------
    pandas.DataFrame
        A copy of ``events`` (same index and columns) with ``error_kind``
        filled from the sources listed in the module docstring, plus
        ``error_layer`` (string, a key of
        :data:`~apiprobe.schema.ERROR_LAYERS`), ``retryable`` (boolean; NA on
        lines that are not errors and where a retry *may* help) and
        ``error_rule`` (string: the :class:`ErrorRule` name; ``attrs.<key>``
        or ``error_kind`` for an explicit code, with ``:5xx``, ``:4xx`` or
        ``:429`` appended when the code is an HTTP status; ``status:5xx``,
        ``status:4xx`` or ``status:429`` from the status column; ``unmatched``
        for an error text or explicit code no rule knows; ``level`` for an
        error-level line with nothing else). Lines that are not errors have
        NA in all four. ``classify_errors(classify_errors(x))`` equals
        ``classify_errors(x)``: on a table with ``error_rule``, the lines
        whose rule starts with ``error_kind`` or is an ``unmatched`` explicit
        code keep their classification and the others are derived again.
    """
    if is_dask(events):  # each partition on its own: classification is per line
        lazy: Any = events
        return lazy.map_partitions(classify_errors, meta=classify_errors(lazy._meta))
    out = events.copy(deep=False)
    n = len(out)
    infos = _Infos(n)
    sources: list[np.ndarray] = []
    unknown_code = np.zeros(n, dtype=bool)

    quiet, at_error_level, loud = _lower_in(_string(out, "level"), _QUIET_LEVELS, _ERROR_LEVELS, _LOUD_LEVELS)
    if "error_kind" in out.columns:
        existing = _string(out, "error_kind")
        if "error_rule" in out.columns:
            # classified before: keep the kinds that came from an explicit error_kind, derive the others again
            rule = _string(out, "error_rule")
            from_kind = (rule.str.startswith("error_kind") & existing.notna()).fillna(False).to_numpy(dtype=bool)
            pos, kept = _explicit_infos(out, from_kind)
            sources.append(
                infos.per_row(
                    pd.Series(np.arange(len(pos)), dtype="int64"), pos, lambda uniques: [kept[int(u)] for u in uniques]
                )
            )
            # an explicit code no rule knew, with nothing else to go by: still an unmatched error
            unknown_code |= ((rule == "unmatched") & existing.notna()).fillna(False).to_numpy(dtype=bool)
            existing = existing.mask(_present(rule))
        idx = infos.per_row(existing, None, _codes_classifier("error_kind"))
        sources.append(idx)
        unknown_code |= _present(existing) & (idx < 0) & ~_on_distinct(existing, _success_code)
    if "attrs" in out.columns and n:
        for key, (pos, vals) in _attr_values(out["attrs"]).items():
            idx = infos.per_row(pd.Series(vals, dtype=object), pos, _codes_classifier(f"attrs.{key}"))
            sources.append(idx)
            unknown_code[pos[_unknown_codes(key, vals, idx[pos] >= 0, loud[pos])]] = True

    error = _string(out, "error")
    has_error = _present(error)
    sources.append(infos.per_row(error, None, _rule_infos))  # "" matches no rule
    if "msg" in out.columns:
        # the message stands in for a missing error, except on trace/debug/info lines
        eligible = np.flatnonzero(~has_error & ~quiet)
        msg = _string(out, "msg").iloc[eligible]
        sources.append(infos.per_row(msg, eligible, _rule_infos))
    if "status" in out.columns:
        status = pd.to_numeric(out["status"], errors="coerce").astype("Float64")
        sources.append(infos.per_row(status, None, _codes_classifier("status")))

    chosen = np.full(n, -1, dtype=np.int64)
    for idx in sources:
        chosen = np.where(chosen >= 0, chosen, idx)
    unmatched = infos.add(("error", None, None, "unmatched"))
    by_level = infos.add(("error", None, None, "level"))
    chosen = np.where(
        chosen >= 0, chosen, np.where(has_error | unknown_code, unmatched, np.where(at_error_level, by_level, -1))
    )

    rows = infos.rows
    kinds = pd.array([r[0] for r in rows], dtype="string")
    layers = pd.array([r[1] for r in rows], dtype="string")
    retry = pd.array([r[2] for r in rows], dtype="boolean")
    rules = pd.array([r[3] for r in rows], dtype="string")
    out["error_kind"] = pd.Series(kinds.take(chosen, allow_fill=True), index=out.index)
    out["error_layer"] = pd.Series(layers.take(chosen, allow_fill=True), index=out.index)
    out["retryable"] = pd.Series(retry.take(chosen, allow_fill=True), index=out.index)
    out["error_rule"] = pd.Series(rules.take(chosen, allow_fill=True), index=out.index)
    return out


def _classified(events: pd.DataFrame) -> pd.DataFrame:
    if {"error_kind", "error_layer", "retryable"} <= set(events.columns):
        return events
    return classify_errors(events)
