"""Small helpers every notebook glue module shares: the demo data folder, headings, parameters."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

#: The committed demo data (``apiprobe demo`` writes it; :func:`apiprobe.demo.write_demo`).
DEMO_DIR = Path(__file__).resolve().parents[2] / "data" / "demo"


def heading(title: str) -> str:
    """``title`` as an escaped ``<h2>``, or ``""`` for no title."""
    return f"<h2>{html.escape(title)}</h2>" if title else ""


def time_span(ts: pd.Series) -> str:
    """The first and last time of ``ts``: ``"2026-03-14 09:40:00 → 2026-03-14 10:20:00 UTC"``."""
    return f"{ts.min():%Y-%m-%d %H:%M:%S} → {ts.max():%Y-%m-%d %H:%M:%S} UTC"


def split_commas(text: str) -> list[str]:
    """The items of a comma-separated notebook parameter, stripped, blanks dropped, in order."""
    return [item.strip() for item in text.split(",") if item.strip()]
