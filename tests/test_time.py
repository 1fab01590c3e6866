"""User-given times and windows as UTC."""

from __future__ import annotations

import pandas as pd
import pytest

from apiprobe._time import to_utc, utc_window


def test_naive_is_utc_and_aware_is_converted() -> None:
    assert to_utc("2026-03-14 10:00") == pd.Timestamp("2026-03-14T10:00Z")
    assert to_utc("2026-03-14T12:00+02:00") == pd.Timestamp("2026-03-14T10:00Z")
    with pytest.raises(ValueError, match="not a time"):
        to_utc(None)


def test_windows() -> None:
    assert utc_window(None, "incident") is None
    assert utc_window(("2026-03-14T10:00Z", "2026-03-14 10:20"), "incident") == (
        pd.Timestamp("2026-03-14T10:00Z"),
        pd.Timestamp("2026-03-14T10:20Z"),
    )
    with pytest.raises(ValueError, match="incident must start before it ends"):
        utc_window(("2026-03-14T10:20Z", "2026-03-14T10:00Z"), "incident")
    with pytest.raises(ValueError, match="pair"):
        utc_window("2026-03-14T10:00Z", "baseline")
