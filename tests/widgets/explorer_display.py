"""What an explorer's ``draw()`` displays, captured as HTML (shared by the explorer tests)."""

from __future__ import annotations

from typing import Any

from IPython.utils.capture import capture_output


def drawn_html(ex: Any) -> str:
    """The HTML that ``ex.draw()`` displays (tables and messages), joined.

    Needs an IPython shell (the ``shell`` fixture of ``conftest.py``) to capture into.
    """
    with capture_output() as cap:
        ex.draw()
    return "\n".join(str(o.data.get("text/html", "")) for o in cap.outputs)
