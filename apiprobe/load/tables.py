"""Saved probe tables (CSV, Parquet, JSON lines) back into schema-conformant frames."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from apiprobe.errors import DataFormatError, SchemaError
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
    """Read a saved table and conform it to ``schema``.

    Raises
    ------
    DataFormatError
        When the file is missing, unreadable, or lacks the schema's key columns.
    """
    p = Path(path)
    fmt = _format(p)
    if not p.is_file():
        raise DataFormatError(f"{p}: no such file")
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

    Each row is one HTTP attempt (schema ``probes``; durations in float ms,
    NA where a phase did not happen).
    """
    return read_table(path, "probes")


def read_pings(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read TCP-connect samples. Each row is one sample (schema ``pings``, ``rtt_ms`` in ms)."""
    return read_table(path, "pings")


def read_dns(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read saved DNS queries. Each row is one query (schema ``dns``, ``elapsed_ms`` in ms)."""
    return read_table(path, "dns")


def write_table(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a table as CSV, Parquet or JSON lines, chosen by the file suffix."""
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
