"""The kinds of evidence apiprobe reads, and :class:`Sniffed`, the answer to "what is this file?"."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["EVIDENCE_KINDS", "HEAD_BYTES", "LEGACY_PROFILE", "WEAK_KINDS", "Sniffed"]

#: evidence kind -> the public apiprobe function that reads it
EVIDENCE_KINDS: dict[str, str] = {
    "logs": "read_logs",
    "traces": "read_traces",
    "har": "read_har",
    "pprof": "read_pprof",
    "goroutines": "read_goroutines",
    "gotrace": "read_go_trace",
    "certs": "read_certificates",
    "metrics": "read_metrics_text",
    "probes": "read_probes",
    "pings": "read_pings",
    "dns": "read_dns",
    "go_source": "parse_go_structs",
    "payloads": "audit_payloads",
    "timeouts": "read_timeouts",
    "resolv_conf": "read_resolv_conf",
}

#: How much of a file is looked at (and how much of a gzip stream is inflated).
HEAD_BYTES = 64 << 10

#: Kinds told by elimination (JSON objects that are nothing else): a loader given such a file
#: explicitly still tries it; in a folder it is skipped.
WEAK_KINDS = frozenset({"payloads"})


@dataclass(frozen=True)
class Sniffed:
    """What a file is.

    Attributes
    ----------
    kind : str or None
        A key of :data:`EVIDENCE_KINDS`, or None when the content is not evidence apiprobe reads.
    what : str
        The file in words: ``"a gzip-compressed pprof profile"``, ``"a zap JSON log"``, ``"a PNG image"``.
    dialect : str or None
        The log dialect (as :mod:`apiprobe.load.logs` names them), trace format (``otlp``,
        ``jaeger``, ``zipkin``), table format (``csv``, ``parquet``, ``jsonl``), goroutine dump
        format (``debug=1``, ``debug=2``), metrics format (``prometheus``, ``openmetrics``) or
        timeouts format (``yaml``, ``json``, ``csv``), when cheap to tell.
    problem : str or None
        Why the file cannot be used although its kind is known (a truncated gzip stream, an empty
        file, a legacy profile format), when it visibly cannot.
    """

    kind: str | None
    what: str
    dialect: str | None = None
    problem: str | None = None

    @property
    def reader(self) -> str | None:
        """The apiprobe function that reads the file (None for a file that is not evidence)."""
        return None if self.kind is None else EVIDENCE_KINDS[self.kind]


_Judged = tuple[Sniffed, str]

#: What to do with a profile in the pre-protobuf format.
LEGACY_PROFILE = "legacy pre-protobuf profile format: convert it with `go tool pprof -proto`"
