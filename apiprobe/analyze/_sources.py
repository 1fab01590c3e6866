"""Where an analysis's events live: a pandas DataFrame, an evidence store (DuckDB), or a dask DataFrame.

The aggregating analyses (``error_counts``, ``error_summary``,
``detect_error_faults``, ``status_table`` …) accept all three and return the
same pandas result. Each is written as a *partial* step (pandas, or SQL for
a store: a small table of sums, counts and minima) and one *finish* step in
pandas, so the rules live once:

* pandas: partial over the frame, then finish;
* store: the same partial as SQL over the Parquet parts (DuckDB, out of core), then finish;
* dask: the pandas partial on every partition (``map_partitions``), the
  partials combined (sum / min), then finish.

Nothing here imports dask: a dask DataFrame is recognised by its type's
module and used through its own methods.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from apiprobe.errors import DataFormatError, InvalidParameterError
from apiprobe.load.event_store import MANIFEST, arrow_events_to_pandas, open_events, read_manifest, store_order

if TYPE_CHECKING:
    import duckdb

__all__ = ["Store", "as_store", "is_dask", "per_partition", "quote"]


def is_dask(obj: Any) -> bool:
    """True for a dask DataFrame (recognised without importing dask)."""
    return type(obj).__module__.split(".")[0] in ("dask", "dask_expr") and hasattr(obj, "map_partitions")


@dataclass
class Store:
    """An evidence store opened for SQL: its relation, registered as the view ``events``."""

    path: Path
    con: duckdb.DuckDBPyConnection
    columns: list[str]
    #: ``order by`` list giving read_logs' row order (time, then the files as read, then line).
    order: str

    def df(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """Run ``sql`` (reading the view ``events``) and return pandas with apiprobe's dtypes."""
        return arrow_events_to_pandas(
            self._run(lambda: self.con.sql(sql, params=self._params(params)).to_arrow_table())
        )

    def rows(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """The rows of ``sql`` as tuples."""
        return list(self._run(lambda: self.con.execute(sql, self._params(params)).fetchall()))

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        """The first value of the first row of ``sql`` (None when there is no row)."""
        rows = self.rows(sql, params)
        return rows[0][0] if rows else None

    @staticmethod
    def _params(params: Sequence[Any] | None) -> list[Any] | None:
        return list(params) if params else None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the DuckDB connection."""
        self.con.close()

    def _run(self, call: Callable[[], Any]) -> Any:
        import duckdb

        try:
            return call()
        except duckdb.Error as exc:  # a part damaged since it was written, a file gone
            raise DataFormatError(f"{self.path}: DuckDB cannot read the store: {exc}") from exc


def as_store(events: Any, *, classified: bool = False, what: str = "events") -> Store | None:
    """An opened :class:`Store` when ``events`` is a store's directory, else None.

    Parameters
    ----------
    events : any
        What the caller passed.
    classified : bool
        The analysis needs classified errors: refuse a store written with ``classify=False``.
    what : str
        The argument's name, for messages.

    Raises
    ------
    InvalidParameterError
        A path that is not a store, or an unclassified store when ``classified``.
    """
    if not isinstance(events, str | os.PathLike):
        return None
    import duckdb

    path = Path(events)
    if not path.is_dir():
        raise InvalidParameterError(
            f"{what}: {events} is not an evidence store directory; read files with apiprobe.read_logs, "
            "or convert them with apiprobe.convert_logs"
        )
    if classified and (path / MANIFEST).is_file() and not read_manifest(path).get("classified", True):
        raise InvalidParameterError(
            f"{what}: the store {events} was written with classify=False; convert the logs again with classify=True "
            "(error kinds are classified while converting)"
        )
    con = duckdb.connect()
    rel = open_events(path, con=con)
    rel.create_view("events")
    return Store(path, con, list(rel.columns), store_order(path))


def per_partition(frame: Any, partial: Callable[..., pd.DataFrame], *args: Any) -> pd.DataFrame:
    """``partial`` applied to every partition of a dask DataFrame, computed and concatenated."""
    meta = partial(frame._meta, *args)
    return frame.map_partitions(partial, *args, meta=meta).compute()


def quote(name: str) -> str:
    """A SQL identifier."""
    return '"' + name.replace('"', '""') + '"'
