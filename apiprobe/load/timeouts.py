"""A declared call graph with timeouts and retries (``timeouts.yaml``) as a table.

The file lists each hop: who calls whom, one attempt's timeout, how many
retries and with which backoff preset (see :func:`apiprobe.retry_policy`)::

    calls:
      - {caller: client,  callee: gateway, timeout: 5s}
      - {caller: gateway, callee: orders,  timeout: 3s, retries: 2, backoff: go-retryablehttp}
      - {caller: orders,  callee: payments, timeout: 1500ms, retries: 3, backoff: exponential}

A top-level list works too, and so does a mapping ``caller: {callee: {...}}``.
Timeouts are Go durations (``"1m30s"``, ``"300ms"``), numbers of seconds, or
given as ``timeout_s`` / ``timeout_ms``. JSON (the same shapes) and CSV
(columns ``caller, callee, timeout_s[, retries, backoff]``) are read as well.
"""

from __future__ import annotations

import io
import json
import math
import os
from pathlib import Path
from typing import Any

import pandas as pd

from apiprobe.errors import DataFormatError
from apiprobe.load._log_columns import parse_go_duration
from apiprobe.load._paths import refusal
from apiprobe.load._sniff import judge_file

__all__ = ["parse_timeouts", "read_timeouts"]

_COLUMNS = ["caller", "callee", "timeout_s", "retries", "backoff"]


def _seconds(value: Any, where: str) -> float:
    if isinstance(value, bool):
        raise DataFormatError(f"{where}: timeout must be a duration, got {value!r}")
    if isinstance(value, int | float):
        return float(value)
    ms = parse_go_duration(str(value))
    if math.isnan(ms):
        raise DataFormatError(f"{where}: timeout {value!r} is not a duration (use Go's form: 3s, 250ms, 1m30s)")
    return ms / 1e3


def _hop(entry: Any, where: str, caller: str | None = None, callee: str | None = None) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise DataFormatError(f"{where}: a hop must be a mapping (caller, callee, timeout...), got {entry!r}")
    caller = str(entry.get("caller", caller) or "")
    callee = str(entry.get("callee", callee) or "")
    if not caller or not callee:
        raise DataFormatError(f"{where}: a hop needs both caller and callee, got {entry!r}")
    here = f"{where} ({caller} → {callee})"
    if "timeout_s" in entry:
        timeout = _seconds(entry["timeout_s"], here)
    elif "timeout_ms" in entry:
        timeout = _seconds(entry["timeout_ms"], here) / 1e3
    elif "timeout" in entry:
        timeout = _seconds(entry["timeout"], here)
    else:
        raise DataFormatError(f"{here}: no timeout (give timeout: 3s, timeout_s or timeout_ms)")
    if not timeout > 0:
        raise DataFormatError(f"{here}: timeout must be > 0, got {timeout:g} s")
    retries = entry.get("retries", 0)
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise DataFormatError(f"{here}: retries must be a whole number ≥ 0, got {retries!r}")
    backoff = entry.get("backoff")
    return {
        "caller": caller,
        "callee": callee,
        "timeout_s": timeout,
        "retries": retries,
        "backoff": None if backoff in (None, "") else str(backoff),
    }


def _hops(doc: Any, name: str) -> list[dict[str, Any]]:
    if isinstance(doc, dict) and "calls" in doc:
        doc = doc["calls"]
    if isinstance(doc, list):
        return [_hop(e, f"{name}: calls[{i}]") for i, e in enumerate(doc)]
    if isinstance(doc, dict):
        out = []
        for caller, callees in doc.items():
            if not isinstance(callees, dict):
                raise DataFormatError(f"{name}: {caller}: expected callee → settings, got {callees!r}")
            for callee, spec in callees.items():
                out.append(_hop(spec, f"{name}: {caller}.{callee}", str(caller), str(callee)))
        return out
    raise DataFormatError(f"{name}: expected a list of calls or a mapping, got {type(doc).__name__}")


def parse_timeouts(text: str, *, name: str = "<text>", fmt: str | None = None) -> pd.DataFrame:
    """A call graph from YAML, JSON or CSV text.

    Parameters
    ----------
    text : str
        The file's content.
    name : str
        Names the source in error messages.
    fmt : {"yaml", "json", "csv"}, optional
        The format; guessed from the content when not given.

    Returns
    -------
    pandas.DataFrame
        ``caller, callee, timeout_s, retries, backoff``, one row per hop, in file order.

    Raises
    ------
    DataFormatError
        Text that is not a call graph, naming the entry at fault.
    """
    stripped = text.lstrip()
    if fmt is None:
        first = stripped.splitlines()[0] if stripped else ""
        fmt = "json" if stripped[:1] in "[{" else ("csv" if "caller" in first and "," in first else "yaml")
    if fmt == "csv":
        try:
            df = pd.read_csv(io.StringIO(text))
        except (ValueError, pd.errors.ParserError) as exc:
            raise DataFormatError(f"{name}: not a CSV call graph: {exc}") from exc
        records = df.where(df.notna(), None).to_dict("records")
        return pd.DataFrame([_hop(r, f"{name}: row {i + 2}") for i, r in enumerate(records)], columns=_COLUMNS)
    if fmt == "json":
        try:
            doc = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise DataFormatError(f"{name}: not JSON: {exc}") from exc
    else:
        import yaml

        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise DataFormatError(f"{name}: not YAML: {exc}") from exc
    hops = _hops(doc, name)
    if not hops:
        raise DataFormatError(f"{name}: the call graph lists no calls")
    df = pd.DataFrame(hops, columns=_COLUMNS)
    df["retries"] = df["retries"].astype("int64")
    df["backoff"] = df["backoff"].astype("string")
    return df


def read_timeouts(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a declared call graph (``timeouts.yaml``, ``.json`` or ``.csv``).

    Parameters
    ----------
    path : str or path-like
        The file.

    Returns
    -------
    pandas.DataFrame
        ``caller, callee, timeout_s, retries, backoff`` (see :func:`parse_timeouts`),
        ready for :func:`apiprobe.budget_tree`.

    Raises
    ------
    DataFormatError
        The file cannot be read or is not a call graph (another kind of evidence
        names the function that reads it).
    """
    p = Path(path)
    message = refusal(str(p), *judge_file(p), "timeouts", "a timeouts declaration") if p.is_file() else None
    if message is not None:
        raise DataFormatError(message)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFormatError(f"{p}: cannot read: {exc}") from exc
    suffix = p.suffix.lower()
    fmt = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".csv": "csv"}.get(suffix)
    return parse_timeouts(text, name=str(p), fmt=fmt)
