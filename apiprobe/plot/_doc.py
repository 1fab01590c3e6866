"""Parameter documentation shared by the ``fig_*`` builders, written once.

Modelled on plotly.express's ``_doc.py``: :data:`PARAMS` maps a parameter
name to its type and description; :func:`fill_parameters` writes the
``Parameters`` section of a figure's docstring from its signature, taking
each description from the function's own overrides first and from
:data:`PARAMS` otherwise, and the default from the signature. A docstring
asks for the section with a line holding only ``{parameters}`` under its
``Parameters`` heading.
"""

from __future__ import annotations

import inspect
import re
import textwrap
from collections.abc import Callable
from typing import TypeVar

__all__ = ["PARAMS", "fill_parameters"]

F = TypeVar("F", bound=Callable[..., object])

_LATENCY_TABLE = 'Table with schema ``probes`` (default) or ``pings`` (``value="rtt_ms"``). It is not modified.'

#: Shared parameters: name → (type, description).
PARAMS: dict[str, tuple[str, str]] = {
    "df": ("pandas.DataFrame", _LATENCY_TABLE),
    "probes": ("pandas.DataFrame", "Table with schema ``probes``. It is not modified."),
    "value": ("str", "Latency column (ms)."),
    "ts": ("str", "Time column (UTC)."),
    "by": ("str or None", "Group column; None for one group."),
    "freq": (
        "str, pandas.Timedelta or None",
        'Bin width (``"5min"``, ``pd.Timedelta``). None chooses a round width giving about 60–200 bins '
        "over the time span; a width giving more than :data:`~apiprobe.plot.MAX_POINTS` bins is widened "
        "(the subtitle says so).",
    ),
    "failed": (
        "str or None",
        "Name of a boolean column marking failed samples; None derives it from ``error_kind`` / ``ok`` "
        "(without either, a sample with no value counts as failed).",
    ),
    "title": ("str or None", "Figure title; a default naming what is drawn is used when None."),
    "height": ("int or None", "Figure height in pixels; None sizes it to the content."),
    "phases": ("sequence of str", "Phase columns (ms) in the order they happen."),
    "target": ("str", "Target column (the request's URL or host)."),
    "total": ("str", "Total duration column (ms)."),
    "status": ("str", "HTTP status column; ignored when absent."),
    "stat": ("{'p50', 'p90', 'p99', 'mean'}", "Statistic of each phase."),
    "n": ("int", "Number of rows to show (at least 1)."),
    "count": ("str", "Count column."),
    "max_points": ("int", "Most points per curve; longer curves are thinned evenly, keeping both ends."),
}

_MARKER = re.compile(r"^([ \t]*)\{parameters\}[ \t]*$", re.MULTILINE)


def _entry(name: str, param: inspect.Parameter, spec: str | tuple[str, str]) -> tuple[str, str]:
    if isinstance(spec, tuple):
        kind, text = spec
    else:
        kind, text = PARAMS[name][0] if name in PARAMS else "", spec
    if param.default is not inspect.Parameter.empty:
        kind = f"{kind}, default {param.default!r}" if kind else f"default {param.default!r}"
    head = f"{name} : {kind}" if kind else name
    return head, text


def fill_parameters(**specific: str | tuple[str, str]) -> Callable[[F], F]:
    """Decorator writing the ``Parameters`` section of a figure's docstring from its signature.

    Parameters
    ----------
    **specific : str or tuple of (str, str)
        Descriptions that differ from :data:`PARAMS` for this function, by
        parameter name: a description (the type comes from :data:`PARAMS`) or
        a ``(type, description)`` pair.

    Returns
    -------
    callable
        A decorator returning the function itself with its ``{parameters}``
        docstring line replaced by one entry per parameter, in signature order.

    Notes
    -----
    A parameter documented neither in ``specific`` nor in :data:`PARAMS`
    fails at import time (a bug in apiprobe, never seen by users). Under
    ``python -OO`` (no docstrings) the function is returned unchanged.
    """

    def decorate(func: F) -> F:
        doc = func.__doc__
        if not doc:
            return func
        match = _MARKER.search(doc)
        if match is None:
            raise _DocError(f"{func.__qualname__}: docstring has no {{parameters}} line")
        indent = match.group(1)
        unknown = set(specific) - set(inspect.signature(func).parameters)
        if unknown:
            raise _DocError(f"{func.__qualname__}: documents unknown parameter(s) {sorted(unknown)}")
        lines: list[str] = []
        for name, param in inspect.signature(func).parameters.items():
            if name in ("self", "cls"):
                continue
            if name not in specific and name not in PARAMS:
                raise _DocError(f"{func.__qualname__}: parameter {name!r} is not documented")
            head, text = _entry(name, param, specific.get(name) or PARAMS[name])
            lines.append(f"{indent}{head}")
            lines.append(textwrap.fill(text, 88, initial_indent=f"{indent}    ", subsequent_indent=f"{indent}    "))
        func.__doc__ = doc[: match.start()] + "\n".join(lines) + doc[match.end() :]
        return func

    return decorate


class _DocError(Exception):
    """A figure's docstring asks for a parameter that is documented nowhere (a bug in apiprobe)."""
