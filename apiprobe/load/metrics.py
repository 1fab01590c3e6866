"""Saved ``/metrics`` pages (Prometheus text format 0.0.4 and OpenMetrics) as a samples table.

One row per sample: ``ts``, ``metric`` (the sample's name, e.g.
``http_request_duration_seconds_bucket``), ``value`` and one column per label,
the same table :func:`apiprobe.read_prometheus` returns for a query. A label a
sample does not carry is ``""``, which is what Prometheus means by it. Label
names that collide with ``ts``, ``metric`` or ``value`` get Prometheus'
``exported_`` prefix.

Why not ``prometheus_client``'s parser: it stops at the first malformed line
(``ValueError``) and loses the whole page, and it builds one object per sample.
This reader keeps every good line, counts and keeps the bad ones
(``df.attrs["parse_errors"]``, ``df.attrs["bad_lines"]``), and is faster
(``benchmarks/bench_metrics.py``). ``tests/load/test_metrics_text.py`` checks
it against ``prometheus_client`` on the edge cases both accept.

Times: a sample's own timestamp wins (milliseconds in text format 0.0.4,
seconds in OpenMetrics); otherwise the snapshot's time (``ts=``, else the
file's modification time). Files in a folder are snapshots and together form
series.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from collections.abc import Iterable, Mapping
from typing import Any, NoReturn

import numpy as np
import pandas as pd

from apiprobe._time import to_utc
from apiprobe.errors import DataFormatError, InvalidParameterError
from apiprobe.load._paths import evidence_files, warn_skipped
from apiprobe.load._text import decode_text

__all__ = ["METRIC_TYPES", "parse_metrics_text", "read_metrics_text"]

#: Metric family types the two formats declare with ``# TYPE``.
METRIC_TYPES = ("counter", "gauge", "histogram", "summary", "untyped", "unknown", "gaugehistogram", "stateset", "info")

#: Columns every samples table starts with; the label columns follow, sorted by name.
BASE_COLUMNS = ("ts", "metric", "value")

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
# name, optional {labels}, value, optional timestamp, optional OpenMetrics exemplar (ignored)
_SAMPLE = re.compile(
    rf"({_NAME})[ \t]*(?:\{{((?:[^\"}}]|\"(?:[^\"\\]|\\.)*\")*)\}})?[ \t]+(\S+)(?:[ \t]+([^\s#]+))?[ \t]*(?:#.*)?"
)
_LABEL = re.compile(r"[ \t]*([a-zA-Z_][a-zA-Z0-9_]*)[ \t]*=[ \t]*\"((?:[^\"\\]|\\.)*)\"[ \t]*(,|$)")
_ESCAPES = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}
_ESCAPE = re.compile(r"\\[\\\"n]")
_SUFFIXES = ("_bucket", "_sum", "_count", "_total", "_created", "_gsum", "_gcount", "_info")
#: Longest text kept per line in ``attrs["bad_lines"]``, and how many are kept.
_KEEP_CHARS = 500
_KEEP_LINES = 200


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: _ESCAPES[m.group(0)], text) if "\\" in text else text


def _value(text: str) -> float:
    """A sample value as Go's ``strconv.ParseFloat`` reads it: Python's ``float`` without ``_`` separators."""
    return float(text.replace("_", "x"))  # "1_000" is not a number to Go; "x" makes float() refuse it too


class _Page:
    """Samples of one or more expositions, gathered column-wise."""

    def __init__(self) -> None:
        self.ts: list[float] = []
        self.names: list[str] = []
        self.values: list[float] = []
        self.labels: dict[str, dict[int, str]] = {}
        self.types: dict[str, str] = {}
        self.help: dict[str, str] = {}
        self.units: dict[str, str] = {}
        self.bad: list[tuple[str, int, str, str]] = []
        self.bad_count = 0
        self._label_cache: dict[str, dict[str, str] | None] = {}

    def _parse_labels(self, text: str) -> dict[str, str] | None:
        cached = self._label_cache.get(text, False)
        if cached is not False:
            return cached  # type: ignore[return-value]
        out: dict[str, str] | None = {}
        pos, end = 0, len(text.rstrip(" \t"))
        while pos < end and out is not None:
            m = _LABEL.match(text, pos)
            if m is None or m.group(1) in out or (m.group(3) == "" and m.end() < end):
                out = None
                break
            out[m.group(1)] = _unescape(m.group(2))
            pos = m.end()
        if len(self._label_cache) < 100_000:
            self._label_cache[text] = out
        return out

    def bad_line(self, source: str, line_no: int, line: str, reason: str) -> None:
        self.bad_count += 1
        if len(self.bad) < _KEEP_LINES:
            self.bad.append((source, line_no, line[:_KEEP_CHARS], reason))

    def add_text(self, text: str, *, source: str, default_ts: float, openmetrics: bool | None) -> None:
        lines = text.split("\n")
        if openmetrics is None:
            openmetrics = any(ln.rstrip("\r") == "# EOF" for ln in lines[-3:]) or "\n# UNIT " in text
        ts_scale = 1.0 if openmetrics else 1e-3
        match, labels_of = _SAMPLE.fullmatch, self._parse_labels
        ts_out, names, values = self.ts, self.names, self.values
        label_cols = self.labels
        seen_eof = False
        for no, raw in enumerate(lines, 1):
            line = raw.rstrip("\r")
            if not line.strip():
                continue
            if seen_eof:
                self.bad_line(source, no, line, "text after # EOF")
                continue
            if line[0] == "#":
                self._comment(line, source, no)
                seen_eof = line == "# EOF"
                continue
            m = match(line.strip(" \t"))
            if m is None:
                self.bad_line(source, no, line, "not a sample line (name{labels} value [timestamp])")
                continue
            name, label_text, value_text, ts_text = m.groups()
            try:
                value = _value(value_text)
                ts = default_ts if ts_text is None else _value(ts_text) * ts_scale
            except ValueError:
                self.bad_line(source, no, line, f"not a number: {value_text!r} {ts_text or ''}".rstrip())
                continue
            labels = labels_of(label_text) if label_text else {}
            if labels is None:
                self.bad_line(source, no, line, 'malformed labels (name="value" pairs, unique names)')
                continue
            row = len(names)
            ts_out.append(ts)
            names.append(name)
            values.append(value)
            for key, val in labels.items():
                col = label_cols.get(key)
                if col is None:
                    col = label_cols[key] = {}
                col[row] = val

    def _comment(self, line: str, source: str, no: int) -> None:
        parts = line.split(None, 3)
        if len(parts) < 3 or parts[1] not in ("TYPE", "HELP", "UNIT"):
            return  # a plain comment, or "# EOF"
        kind, name = parts[1], parts[2]
        rest = parts[3] if len(parts) > 3 else ""
        if kind == "TYPE":
            if rest.strip() not in METRIC_TYPES:
                self.bad_line(source, no, line, f"unknown metric type {rest.strip()!r}")
            else:
                self.types[name] = rest.strip()
        elif kind == "HELP":
            self.help[name] = rest.replace("\\n", "\n").replace("\\\\", "\\")
        else:
            self.units[name] = rest.strip()

    def frame(self) -> pd.DataFrame:
        n = len(self.names)
        seconds = np.asarray(self.ts, dtype="float64")
        micros = np.where(np.isnan(seconds), np.iinfo(np.int64).min, np.round(seconds * 1e6)).astype(np.int64)
        ts = pd.DatetimeIndex(micros.view("M8[us]"), tz="UTC").as_unit("ns") if n else pd.DatetimeIndex([], tz="UTC")
        data: dict[str, Any] = {
            "ts": ts,
            "metric": pd.Categorical(self.names) if n else pd.Series([], dtype=object),
            "value": np.asarray(self.values, dtype="float64"),
        }
        for key in sorted(self.labels):
            col = key if key not in BASE_COLUMNS else f"exported_{key}"
            values = np.full(n, "", dtype=object)
            rows = self.labels[key]
            if rows:
                values[np.fromiter(rows.keys(), dtype=np.int64, count=len(rows))] = list(rows.values())
            data[col] = values
        df = pd.DataFrame(data)
        df["metric"] = df["metric"].astype(object)
        df.attrs["types"] = dict(self.types)
        df.attrs["help"] = dict(self.help)
        if self.units:
            df.attrs["units"] = dict(self.units)
        df.attrs["parse_errors"] = self.bad_count
        df.attrs["bad_lines"] = [(s, no, text, why) for s, no, text, why in self.bad]
        problems = _histogram_problems(df, self.types)
        if problems:
            df.attrs["problems"] = problems
        return df


def family_of(name: str, types: Mapping[str, str]) -> str:
    """The metric family a sample name belongs to (``x_bucket`` → ``x`` when ``x`` is a declared histogram).

    Parameters
    ----------
    name : str
        A sample name as exposed.
    types : mapping of str to str
        Declared family types (``df.attrs["types"]``).

    Returns
    -------
    str
        The declared family, or the name itself when none matches.
    """
    if name in types:
        return name
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and name[: -len(suffix)] in types:
            return name[: -len(suffix)]
    return name


def _histogram_problems(df: pd.DataFrame, types: Mapping[str, str]) -> list[str]:
    """Histograms whose buckets lack ``le="+Inf"`` (PromQL's ``histogram_quantile`` gives NaN for them)."""
    out = []
    for family, kind in types.items():
        if kind not in ("histogram", "gaugehistogram") or "le" not in df.columns:
            continue
        buckets = df[df["metric"] == f"{family}_bucket"]
        if buckets.empty:
            continue
        inf = buckets["le"].map(lambda s: _le(s) == math.inf)
        if not inf.any():
            out.append(f'histogram {family} has no le="+Inf" bucket: its quantiles are NaN (as in PromQL)')
    return out


def _le(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


def _finish(page: _Page, stacklevel: int) -> pd.DataFrame:
    df = page.frame()
    notes = []
    if page.bad_count:
        first = page.bad[0]
        notes.append(
            f"{page.bad_count:,} malformed line(s) kept in df.attrs['bad_lines'] and skipped; "
            f"first: {first[0]}:{first[1]}: {first[3]}"
        )
    notes.extend(df.attrs.get("problems", []))
    if notes:
        df.attrs["note"] = "; ".join(notes)
        warnings.warn(df.attrs["note"], stacklevel=stacklevel)
    return df.sort_values(["ts"], kind="stable").reset_index(drop=True) if len(df) else df


def _snapshot_seconds(ts: Any) -> float:
    if ts is None:
        return math.nan
    if isinstance(ts, int | float) and not isinstance(ts, bool):
        return float(ts)
    return to_utc(ts).value / 1e9


def parse_metrics_text(
    text: str | bytes, *, ts: Any = None, openmetrics: bool | None = None, source: str = "<text>"
) -> pd.DataFrame:
    """A ``/metrics`` page (text format 0.0.4 or OpenMetrics) as a samples table.

    Parameters
    ----------
    text : str or bytes
        The exposition; gzip-compressed bytes are inflated.
    ts : time, optional
        When the page was scraped (unix seconds, ISO string, datetime), for samples
        without their own timestamp. Without it those samples get ``NaT``.
    openmetrics : bool, optional
        Read the page as OpenMetrics (timestamps in seconds) or as text 0.0.4
        (milliseconds). By default OpenMetrics when it ends with ``# EOF`` or declares a ``# UNIT``.
    source : str
        A name for the page in messages and ``df.attrs["bad_lines"]``.

    Returns
    -------
    pandas.DataFrame
        ``ts``, ``metric``, ``value`` and one column per label (``""`` where a sample
        lacks it). ``df.attrs``: ``types`` and ``help`` per family, ``parse_errors``
        (count) and ``bad_lines`` (``(source, line_no, text, reason)``, first 200),
        ``problems`` (histograms without a ``+Inf`` bucket).

    Raises
    ------
    DataFormatError
        When the bytes are not UTF-8 text, or no line of the page is a sample or a
        ``# TYPE``/``# HELP`` line (it is not an exposition at all).
    InvalidParameterError
        When ``ts`` is not a time.

    Warns
    -----
    UserWarning
        When lines were malformed (they are counted and kept) or a histogram lacks ``+Inf``.
    """
    if isinstance(text, bytes | bytearray):
        text = decode_text(bytes(text), source, what="metrics page")
    elif not isinstance(text, str):
        raise InvalidParameterError(f"text must be str or bytes, got {type(text).__name__}")
    page = _Page()
    page.add_text(text, source=source, default_ts=_snapshot_seconds(ts), openmetrics=openmetrics)
    if not page.names and not page.types and not page.help:
        _not_a_page(source, page.bad)
    return _finish(page, stacklevel=3)


def _not_a_page(where: str, bad: list[tuple[str, int, str, str]]) -> NoReturn:
    first = f"; first line: {bad[0][2][:80]!r}" if bad else ""
    raise DataFormatError(f"{where}: not a Prometheus /metrics page (no sample, # TYPE or # HELP line){first}")


def read_metrics_text(
    path_or_text: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    ts: Any = None,
    openmetrics: bool | None = None,
) -> pd.DataFrame:
    """Saved ``/metrics`` pages — one file, a folder of snapshots, or the text itself — as a samples table.

    Parameters
    ----------
    path_or_text : path, folder, glob, list of them, or str
        Where the pages are (``.gz`` is inflated). A string that holds a newline or
        starts with ``#`` is taken as the page's text. Files in a folder or matched
        by a glob that hold another kind of evidence (or binary data) are skipped with
        one warning naming each and the function that reads it; ``df.attrs["skipped"]``
        lists them (``file``, ``kind``, ``what``, ``reader``).
    ts : time or mapping, optional
        When each page was scraped, for samples without their own timestamp: one
        time for all, or a mapping from file name (or path) to time. Default: the
        file's modification time (a text gets ``NaT``).
    openmetrics : bool, optional
        Force the format; by default detected per file (see :func:`parse_metrics_text`).

    Returns
    -------
    pandas.DataFrame
        The samples table of :func:`parse_metrics_text`, all files together, sorted by
        ``ts``; snapshots of the same series over time form that series.

    Raises
    ------
    DataFormatError
        A path that does not exist, a file that is not a ``/metrics`` page (named in the
        message, with the function that reads it when it is other evidence), a folder
        with no page.
    InvalidParameterError
        When ``ts`` is not a time.

    Warns
    -----
    UserWarning
        When lines were malformed (counted and kept in ``df.attrs["bad_lines"]``), or
        files of other kinds were skipped.
    """
    if isinstance(path_or_text, str) and ("\n" in path_or_text or path_or_text.startswith("#")):
        return parse_metrics_text(path_or_text, ts=ts, openmetrics=openmetrics)
    files, skipped = evidence_files(
        path_or_text, kind="metrics", what="metrics", try_shapes=frozenset({"prose", "text", "empty"})
    )
    page = _Page()
    for path in files:
        if isinstance(ts, Mapping):
            stamp = ts.get(path.name, ts.get(str(path)))
            seconds = _snapshot_seconds(stamp) if stamp is not None else path.stat().st_mtime
        else:
            seconds = _snapshot_seconds(ts) if ts is not None else path.stat().st_mtime
        text = decode_text(path.read_bytes(), str(path), what="metrics page")
        samples, families, bad = len(page.names), len(page.types) + len(page.help), len(page.bad)
        page.add_text(text, source=str(path), default_ts=seconds, openmetrics=openmetrics)
        if (len(page.names), len(page.types) + len(page.help)) == (samples, families):
            _not_a_page(str(path), page.bad[bad:])
    df = _finish(page, stacklevel=2)
    df.attrs["skipped"] = warn_skipped(path_or_text, skipped, "metrics")
    return df
