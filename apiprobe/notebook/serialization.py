"""Notebook glue for 04_serialization: Go source and payloads, key-by-key outcomes."""

from __future__ import annotations

import html
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from apiprobe.analyze._findings import findings_frame
from apiprobe.analyze.gojson import audit_struct_tags, parse_go_structs, simulate_unmarshal
from apiprobe.errors import DataFormatError, InvalidParameterError
from apiprobe.load.payloads import read_payloads
from apiprobe.notebook._common import heading
from apiprobe.notebook._display import show_table

__all__ = [
    "SerializationEvidence",
    "detect_serialization_faults",
    "get_serialization",
    "show_key_mapping",
    "show_serialization_overview",
]

_DEMO_STRUCT = "CreateOrder"


@dataclass(frozen=True)
class SerializationEvidence:
    """The Go source, the struct a handler decodes into, and the request bodies it received.

    Attributes
    ----------
    go_source : str
        Go source holding the struct and the structs it embeds or nests.
    struct_name : str
        The struct the handler decodes into.
    payloads : list of str
        Request bodies, one JSON document each (kept as text: duplicate keys and
        syntax errors are part of the evidence).
    source : str
        Where they came from, in words.
    """

    go_source: str
    struct_name: str
    payloads: list[str]
    source: str


def get_serialization(
    *,
    go_source: str = "",
    go_source_path: str | os.PathLike[str] = "",
    struct_name: str = "",
    payloads_path: str | os.PathLike[str] = "",
) -> SerializationEvidence:
    """Read the struct source and the payloads, or fall back to the demo service.

    Parameters
    ----------
    go_source
        Go source text (pasted); wins over ``go_source_path``.
    go_source_path
        A ``.go`` file holding the struct (and the structs it embeds or nests).
    struct_name
        The struct the handler decodes into; default: the only struct with fields,
        or ``CreateOrder`` for the demo.
    payloads_path
        ``.jsonl`` with one request body per line, or ``.json`` with one body or an
        array of bodies (an array loses duplicate keys: use .jsonl to keep them).

    Returns
    -------
    SerializationEvidence
        The source, the struct's name, the payloads and their source.

    Raises
    ------
    DataFormatError
        When a file cannot be read, the Go source cannot be parsed (the line is
        named) or it holds no struct with fields.
    InvalidParameterError
        When ``struct_name`` names no struct of the source, or is empty and the
        source has several structs with fields.
    """
    given = bool(go_source or go_source_path)
    if go_source:
        label = "the given source"
    elif go_source_path:
        path = Path(go_source_path)
        try:
            go_source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DataFormatError(f"{path}: cannot read Go source: {exc}") from exc
        label = path.name
    else:
        from apiprobe.demo import DEMO_GO_SOURCE

        go_source, label = DEMO_GO_SOURCE, "the demo service (data/demo/serialization/order.go)"
    try:
        structs = parse_go_structs(go_source)
    except DataFormatError as exc:
        raise DataFormatError(f"{label}: {exc}") from exc
    name = struct_name or (_DEMO_STRUCT if not given else "")
    if not name:
        candidates = [n for n, s in structs.items() if s.fields]
        if len(candidates) > 1:
            raise InvalidParameterError(
                f"struct_name: say which struct the handler decodes into; {label} has {', '.join(sorted(candidates))}"
            )
        if not candidates:
            raise DataFormatError(
                f"{label}: say which struct the handler decodes into (struct_name): "
                f"found {', '.join(sorted(structs)) or 'none'}"
            )
        name = candidates[0]
    if name not in structs:
        raise InvalidParameterError(
            f"struct_name={name!r}: {label} has no such struct (found {', '.join(sorted(structs)) or 'none'})"
        )
    if payloads_path:
        payloads = read_payloads(payloads_path)
        source = f"struct {name} from {label}; {len(payloads)} payload(s) from {Path(payloads_path).name}"
    else:
        payloads = []
        if not given:
            from apiprobe.demo import DEMO_PAYLOADS

            payloads = [line for line in DEMO_PAYLOADS.splitlines() if line.strip()]
        source = f"struct {name} from {label}; {len(payloads)} payload(s)"
    return SerializationEvidence(go_source=go_source, struct_name=name, payloads=payloads, source=source)


def detect_serialization_faults(evidence: SerializationEvidence) -> pd.DataFrame:
    """Tag traps of the source plus what each payload ran into, without repeats.

    Parameters
    ----------
    evidence : SerializationEvidence
        What :func:`get_serialization` returned.

    Returns
    -------
    pandas.DataFrame
        Findings (schema ``findings``) of :func:`apiprobe.analyze.audit_struct_tags`
        and of :func:`apiprobe.analyze.simulate_unmarshal` for each payload, a finding
        with the same fault, subject, metric and evidence kept once.
    """
    frames = [audit_struct_tags(evidence.go_source)]
    frames += [simulate_unmarshal(evidence.go_source, evidence.struct_name, p).findings for p in evidence.payloads]
    rows = (
        pd.concat([f for f in frames if not f.empty], ignore_index=True) if any(not f.empty for f in frames) else None
    )
    if rows is None:
        return findings_frame([])
    unique = rows.drop_duplicates(subset=["fault", "subject", "metric", "evidence"])
    return findings_frame(unique.to_dict(orient="records"))  # type: ignore[arg-type]


def show_serialization_overview(evidence: SerializationEvidence, *, title: str = "") -> None:
    """Display the struct under review and where the payloads came from.

    Parameters
    ----------
    evidence : SerializationEvidence
        What :func:`get_serialization` returned.
    title : str, optional
        A heading above the overview.
    """
    from IPython.display import HTML, display

    head = heading(title)
    display(
        HTML(
            head + f"<p>Data: {html.escape(evidence.source)}.</p>"
            f"<details><summary>Go source</summary><pre>{html.escape(evidence.go_source)}</pre></details>"
        )
    )


def show_key_mapping(evidence: SerializationEvidence, *, max_payloads: int = 10) -> None:
    """For each payload: its keys with outcome, Go's error, and the struct Go ends up with.

    Parameters
    ----------
    evidence : SerializationEvidence
        What :func:`get_serialization` returned.
    max_payloads : int, default 10
        Payloads shown one by one; a note counts the rest.
    """
    from IPython.display import HTML, display

    for i, payload in enumerate(evidence.payloads[:max_payloads], 1):
        result = simulate_unmarshal(evidence.go_source, evidence.struct_name, payload)
        error = f"<code>{html.escape(result.error)}</code>" if result.error else "none"
        display(
            HTML(f"<h4>Payload {i}</h4><pre>{html.escape(payload[:2000])}</pre><p>json.Unmarshal returns: {error}</p>")
        )
        show_table(
            result.keys,
            caption="Where each key went (red: the value did not land)",
            max_rows=200,
            highlight=~result.keys["outcome"].isin(["set", "set_nil"]),
        )
        values = json.dumps(result.values, indent=1, default=str)
        display(
            HTML(
                f"<details><summary>{html.escape(evidence.struct_name)} after decoding</summary>"
                f"<pre>{html.escape(values)}</pre></details>"
            )
        )
    if len(evidence.payloads) > max_payloads:
        display(
            HTML(
                f"<p><i>{len(evidence.payloads) - max_payloads} more payload(s) are counted in the "
                "table below but not shown one by one.</i></p>"
            )
        )
