"""Fixtures shared by the explorer tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from IPython.core.interactiveshell import InteractiveShell


@pytest.fixture
def shell() -> Iterator[InteractiveShell]:
    """An IPython shell, so that what ``draw()`` displays can be captured; removed afterwards."""
    yield InteractiveShell.instance()
    InteractiveShell.clear_instance()
