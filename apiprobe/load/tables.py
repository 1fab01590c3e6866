"""Saved probe tables (CSV, Parquet, JSON lines) back into schema-conformant frames."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from apiprobe.errors import DataFormatError, SchemaError
from apiprobe.load._paths import refusal
from apiprobe.load._sniff import judge_file
from apiprobe.schema import columns, conform

__all__ = ["read_dns", "read_pings", "read_probes", "read_table", "write_table"]

_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl", ".json": "jsonl"}


def _format(path: Path) -> str:
    suffixes = [s for s in path.suffixes if s != ".gz"]
    fmt = _FORMATS.get(suffixes[-1].lower() if suffixes else "")
    if fmt is None:
        raise DataFormatError(f"{path}: unknown table format {path.suffix!r} (use .csv, .parquet or .jsonl)")
    return fmt


def read_table(path: str | os.PathLike[str], schema: str) -> pd.DataFrame:
    """Read a saved table (CSV, Parquet or JSON lines, by suffix) and conform it to ``schema``.

    Each row is one row of the saved table; the columns are those of
    ``schema`` (see :mod:`apiprobe.schema`), with their dtypes.

    Parameters
    ----------
    path : str or path-like
        The file: ``.csv``, ``.parquet``/``.pq`` or ``.jsonl``/``.json``.
    schema : str
        A schema name of :mod:`apiprobe.schema` (``"probes"``, ``"pings"``, ``"dns"`` …).

    Returns
    -------
    pandas.DataFrame
        The table, conformed to ``schema``.

    Raises
    ------
    DataFormatError
        When the file is missing, unreadable, lacks the schema's key columns, or
        holds another kind of evidence (the message names the function that reads it).
    """
    p = Path(path)
    fmt = _format(p)
    if not p.is_file():
        raise DataFormatError(f"{p}: no such file")
    if schema in ("probes", "pings", "dns"):
        message = refusal(str(p), *judge_file(p), schema, f"a {schema} table")
        if message is not None:
            raise DataFormatError(message)
    try:
        if fmt == "csv":
            df = pd.read_csv(p, dtype=str, keep_default_na=True)
        elif fmt == "parquet":
            df = pd.read_parquet(p)
        else:
            df = pd.read_json(p, lines=True, dtype=False)
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise DataFormatError(f"{p}: cannot read as {fmt}: {exc}") from exc
    key = "target" if "target" in columns(schema) else columns(schema)[1]
    required = {"ts", key}
    missing = sorted(required - set(df.columns))
    if missing:
        raise DataFormatError(
            f"{p}: not a {schema} table: missing columns {missing} (expected {', '.join(columns(schema))})"
        )
    try:
        return conform(df, schema)
    except SchemaError as exc:
        raise DataFormatError(f"{p}: {exc}") from exc


def read_probes(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read probes saved by ``apiprobe probe --out`` or :func:`write_table`.

    Each row is one HTTP attempt (schema ``probes``). Columns: ``ts`` (UTC
    start), ``run_id``, ``target``, ``url``, ``method``, ``host``, ``ip``,
    ``port``, ``scheme``, ``resolver``; the phases ``dns_ms``, ``connect_ms``,
    ``tls_ms``, ``request_ms``, ``ttfb_ms``, ``transfer_ms`` and ``total_ms``
    (float ms, NA where a phase did not happen); ``status`` (HTTP code),
    ``http_version``, ``tls_version``, ``reused_conn`` (bool), ``bytes``
    (response body size, bytes), ``error_kind`` and ``error`` (NA on success).

    Parameters
    ----------
    path : str or path-like
        A ``.csv``, ``.parquet`` or ``.jsonl`` file.

    Returns
    -------
    pandas.DataFrame
        Schema ``probes``.

    Raises
    ------
    DataFormatError
        When the file is missing, unreadable, or not a probes table.
    """
    return read_table(path, "probes")


def read_pings(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read saved TCP-connect samples.

    Each row is one connect attempt (schema ``pings``). Columns: ``ts`` (UTC
    start), ``run_id``, ``target`` (host:port), ``ip``, ``port``, ``seq``
    (sample number from 0), ``rtt_ms`` (connect time, float ms; NA when it
    failed), ``ok`` (bool), ``error_kind`` and ``error`` (NA on success).

    Parameters
    ----------
    path : str or path-like
        A ``.csv``, ``.parquet`` or ``.jsonl`` file.

    Returns
    -------
    pandas.DataFrame
        Schema ``pings``.

    Raises
    ------
    DataFormatError
        When the file is missing, unreadable, or not a pings table.
    """
    return read_table(path, "pings")


def read_dns(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read saved DNS queries.

    Each row is one query (schema ``dns``). Columns: ``ts`` (UTC time sent),
    ``name``, ``rtype`` (A, AAAA …), ``resolver`` (``system`` or the server
    address), ``rcode`` (NA when no answer came), ``answers`` (sorted,
    comma-separated), ``ttl`` (s), ``elapsed_ms`` (query time, float ms; NA
    when no answer came), ``error_kind``, ``error``, ``run_id``, ``attempt``
    and ``transport`` (udp, tcp or system).

    Parameters
    ----------
    path : str or path-like
        A ``.csv``, ``.parquet`` or ``.jsonl`` file.

    Returns
    -------
    pandas.DataFrame
        Schema ``dns``.

    Raises
    ------
    DataFormatError
        When the file is missing, unreadable, or not a dns table.
    """
    return read_table(path, "dns")


def write_table(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a table as CSV, Parquet or JSON lines, chosen by the file suffix.

    Parameters
    ----------
    df : pandas.DataFrame
        The table (any schema); CSV writes times as ISO 8601 UTC and floats with 3 decimals.
    path : str or path-like
        Where to write: ``.csv``, ``.parquet``/``.pq`` or ``.jsonl``/``.json``.
        Missing parent folders are created.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    DataFormatError
        When the suffix names no known table format.
    """
    p = Path(path)
    fmt = _format(p)
    p.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        out = df.copy()
        for col in out.columns:
            if str(out[col].dtype).startswith("datetime64"):
                out[col] = out[col].dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        out.to_csv(p, index=False, float_format="%.3f")
    elif fmt == "parquet":
        _write_parquet(df, p)
    else:
        df.to_json(p, orient="records", lines=True, date_format="iso")
    return p


def _write_parquet(df: pd.DataFrame, path: Path) -> None:
    """Parquet that plain ``pd.read_parquet`` reads back, Arrow struct columns (``attrs``) included.

    pandas records an Arrow struct dtype in the file's metadata under a name it
    cannot parse again; such columns are recorded as object columns, so they
    come back as one dict per row.
    """
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False)
    meta = json.loads((table.schema.metadata or {}).get(b"pandas", b"{}"))
    for col in meta.get("columns", []):
        if str(col.get("numpy_type", "")).startswith(("struct<", "map<")):
            col["numpy_type"] = "object"
            col["pandas_type"] = "object"
    if meta:
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), b"pandas": json.dumps(meta).encode()})
    pq.write_table(table, path)
