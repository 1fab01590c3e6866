"""The ``apiprobe`` command: triage, probe, ping, tls, dns, logs, lab, demo, report.

Exit codes: 0 success; 1 a report notebook failed; 2 bad usage or input.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import textwrap
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from apiprobe.errors import ApiprobeError, InvalidParameterError

if TYPE_CHECKING:  # pandas loads with the command that needs it, not for --help
    import pandas as pd

__all__ = ["main"]


def _usage(message: str) -> NoReturn:
    """Bad usage: the message on stderr and exit code 2, as argparse does."""
    print(message, file=sys.stderr)
    raise SystemExit(2)


def _parse_value(text: str) -> Any:
    """``-p`` values: JSON when it parses (numbers, lists, true/false), else the string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _summary(probes: pd.DataFrame) -> pd.DataFrame:
    from apiprobe.analyze.latency import summarize_latency

    s = summarize_latency(probes, phases=("total_ms",))
    kinds = probes.groupby("target")["error_kind"].agg(
        lambda k: ", ".join(f"{n}×{kind}" for kind, n in k.value_counts().items()) or "-"
    )
    out = s.set_index("target")[["attempts", "failures", "http_5xx", "p50_ms", "p90_ms", "p99_ms", "max_ms"]]
    return out.join(kinds.rename("errors")).round(1)


def _cmd_probe(args: argparse.Namespace) -> int:
    import pandas as pd

    from apiprobe.load.tables import write_table
    from apiprobe.probe.http import probe_http

    headers = {}
    for h in args.header or []:
        name, sep, value = h.partition(":")
        if not sep:
            _usage(f"apiprobe probe: --header needs 'Name: value', got {h!r}")
        headers[name.strip()] = value.strip()
    resolver = None
    if args.resolve:
        resolver = {}
        for item in args.resolve:
            host, sep, ip = item.partition(":")
            if not sep:
                _usage(f"apiprobe probe: --resolve needs HOST:ADDRESS, got {item!r}")
            resolver[host] = ip
    probes = probe_http(
        args.urls,
        count=args.count,
        interval=args.interval,
        timeout=args.timeout,
        concurrency=args.concurrency,
        method=args.method,
        headers=headers,
        verify=not args.insecure,
        cafile=args.cafile,
        resolver=resolver,
        keepalive=args.keepalive,
        progress=not args.quiet if sys.stderr.isatty() else False,
        workers=args.workers,
    )
    if args.out:
        path = write_table(probes, args.out)
        print(f"wrote {len(probes)} rows to {path}", file=sys.stderr)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(_summary(probes).to_string())
    return 0


def _cmd_ping(args: argparse.Namespace) -> int:
    from apiprobe.analyze.latency import summarize_latency
    from apiprobe.load.tables import write_table
    from apiprobe.probe.tcp import probe_tcp

    pings = probe_tcp(args.targets, count=args.count, interval=args.interval, timeout=args.timeout, progress=False)
    if args.out:
        write_table(pings, args.out)
    s = summarize_latency(pings).set_index("target")
    cols = ["attempts", "loss", "p50_ms", "p90_ms", "p99_ms", "max_ms", "jitter_mean_ms", "jitter_rfc3550_ms"]
    print(s[cols].round(2).to_string())
    return 0


def _cmd_tls(args: argparse.Namespace) -> int:
    import pandas as pd

    from apiprobe.analyze.tls import diagnose_chain, go_error_causes
    from apiprobe.probe._resolve import parse_hostport
    from apiprobe.probe.tls import probe_tls

    stores = tuple(args.store or ["certifi", "system"])
    reports = []
    for target in args.targets:
        if args.pem:
            reports.append(diagnose_chain(Path(target), args.servername, cafile=args.cafile, stores=stores, at=args.at))
        else:
            host, port = parse_hostport(target, default_port=443)
            reports.append(
                probe_tls(
                    host,
                    port,
                    servername=args.servername,
                    cafile=args.cafile,
                    stores=stores,
                    timeout=args.timeout,
                    at=args.at,
                )
            )
    for report in reports:
        print(report, end="\n\n")
    if args.go_log:
        with pd.option_context("display.width", 200, "display.max_colwidth", 120):
            print(go_error_causes(args.go_log, reports).to_string(index=False))
    return 0 if all(r.trusted() for r in reports) else 1


def _cmd_dns(args: argparse.Namespace) -> int:
    import pandas as pd

    from apiprobe.analyze.dns import detect_dns_faults, summarize_dns
    from apiprobe.load.resolv_conf import read_resolv_conf
    from apiprobe.load.tables import write_table
    from apiprobe.probe.dns import probe_dns

    dns = probe_dns(
        args.names,
        rtypes=tuple(args.type or ["A", "AAAA"]),
        resolvers=tuple(args.resolver or ["system"]),
        count=args.count,
        interval=args.interval,
        timeout=args.timeout,
        progress=False,
    )
    if args.out:
        write_table(dns, args.out)
    cols = ["name", "rtype", "resolver", "queries", "failures", "p50_ms", "p90_ms", "answers", "min_ttl"]
    summary = summarize_dns(dns)
    with pd.option_context("display.width", 200, "display.max_colwidth", 60):
        print(summary[[c for c in cols if c in summary.columns]].round(1).to_string(index=False))
        findings = detect_dns_faults(dns, resolv_conf=read_resolv_conf(args.resolv_conf))
        for f in findings.itertuples():
            print(f"{str(f.severity).upper():8} {f.subject}: {f.evidence}")
    return 0


def _window(text: str | None, flag: str) -> tuple[str, str] | None:
    if not text:
        return None
    start, sep, end = text.partition("/")
    if not sep or not start or not end:
        _usage(f"apiprobe: {flag} needs START/END (ISO 8601 times), got {text!r}")
    return start, end


_LOG_STAT_COLUMNS = ("source_file", "dialect", "lines", "blank", "parsed", "unparsed", "note")


def _cmd_logs(args: argparse.Namespace) -> int:
    import pandas as pd

    from apiprobe._redact import redact_text
    from apiprobe.analyze.error_kinds import classify_errors, detect_error_faults, error_summary
    from apiprobe.load.event_store import is_event_store, read_manifest
    from apiprobe.load.logs import read_logs, summarize_log_sources
    from apiprobe.load.tables import write_table

    store = args.paths[0] if len(args.paths) == 1 and is_event_store(args.paths[0]) else None
    if store and (args.service or args.regex or args.format != "auto"):
        raise InvalidParameterError(
            f"--service/--format/--regex choose how files are read; {store} is an evidence store, already read "
            "(select services with SQL: apiprobe.read_events(store, where=\"service = 'x'\"))"
        )
    if (args.to or store) and (args.since or args.until or args.out):
        raise InvalidParameterError(
            "--since/--until/--out read logs into memory; with an evidence store (--to, or a store as PATH) "
            "select lines with SQL instead (apiprobe.open_events)"
        )
    if args.to:
        from apiprobe.scale import convert_logs

        stats: pd.DataFrame | None = convert_logs(
            args.paths,
            args.to,
            partition_by=tuple(p for p in args.partition_by.split(",") if p),
            format=args.format,
            service=args.service,
            regex=args.regex,
            overwrite=args.overwrite,
            progress=False if args.quiet else None,
        )
        events: Any = args.to
        assert stats is not None
        print(f"evidence store: {args.to} ({int(stats['rows'].sum()):,} lines in {int(stats['parts'].sum())} parts)")
    elif store:
        events = store
        stats = pd.DataFrame(read_manifest(store)["files"]) if Path(store, "_manifest.json").is_file() else None
    else:
        events = read_logs(
            args.paths,
            format=args.format,
            service=args.service,
            since=args.since,
            until=args.until,
            regex=args.regex,
            progress=False if args.quiet else None,
        )
        stats = summarize_log_sources(events)
        events = classify_errors(events)
        if args.out:
            write_table(events, args.out)
    with pd.option_context("display.width", 200, "display.max_colwidth", 80):
        if stats is not None and not stats.empty:
            stats = stats.assign(source_file=stats["source_file"].map(lambda p: Path(str(p)).name))
            shown_stats = [c for c in (*_LOG_STAT_COLUMNS, "status", "error") if c in stats.columns]
            print(stats[shown_stats].to_string(index=False))
        summary = error_summary(events)
        if not summary.empty:
            print()
            shown = summary[["error_kind", "count", "layer", "retryable", "services", "example"]]
            print(shown.assign(example=shown["example"].map(lambda e: redact_text(str(e)))).to_string(index=False))
        findings = detect_error_faults(
            events, incident=_window(args.incident, "--incident"), baseline=_window(args.baseline, "--baseline")
        )
        if not findings.empty:
            print()
        for f in findings.itertuples():
            print(f"{str(f.severity).upper():8} {f.fault} · {f.subject}: {redact_text(str(f.evidence))}")
    return 0


def _wait_for(stop: threading.Event) -> None:
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass


def _cmd_lab(args: argparse.Namespace) -> int:
    import pandas as pd

    from apiprobe.lab import FaultLab

    stop = threading.Event()  # SIGTERM (e.g. from make or systemd) stops the lab cleanly, like Ctrl-C
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with FaultLab(seed=args.seed) as lab:
        if args.json:
            print(json.dumps({"ca_path": str(lab.ca_path), "endpoints": lab.describe()}), flush=True)
        else:
            table = pd.DataFrame(lab.describe())
            with pd.option_context("display.width", 200, "display.max_colwidth", 80):
                print(table.to_string(index=False))
            print(f"\nCA certificate for https endpoints: {lab.ca_path}")
            print("Fault lab running on loopback; Ctrl-C stops it.", flush=True)
        _wait_for(stop)
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from apiprobe.demo import write_demo

    for name, path in write_demo(args.out, seed=args.seed).items():
        print(f"{name}: {path}")
    return 0


def _print_triage(result: Any) -> None:
    """The inventory, the windows and the top hypotheses, for a terminal."""
    import pandas as pd

    from apiprobe._redact import redact_text

    inv = result.inventory
    used = int(inv["usable"].fillna(False).sum())
    print(f"evidence: {result.path} — {used} of {len(inv)} files used")
    for row in inv.itertuples():
        when = "" if pd.isna(row.ts_start) else f" {row.ts_start:%m-%d %H:%M:%S}–{row.ts_end:%H:%M:%S}"
        svc = f" [{row.services}]" if isinstance(row.services, str) else ""
        used = bool(row.usable) if pd.notna(row.usable) else False
        note = row.reason if isinstance(row.reason, str) else ""
        state = f"  NOT USED: {note}" if not used else (f"  ({note})" if note else "")
        print(f"  {row.path}: {row.what}{svc}{when}{state}")
    if result.incident is not None:
        print(
            f"incident: {result.incident[0]:%Y-%m-%d %H:%M:%S}–{result.incident[1]:%H:%M:%S} UTC ({result.window_note})"
        )
    else:
        print(f"incident: {result.window_note}")
    hyp = result.hypotheses
    if hyp.empty:
        print("hypotheses: none (no detector found anything)")
    shown = hyp[hyp["role"] != "unrelated"].head(8)
    for row in shown.itertuples():
        lead = "    " if row.role == "consequence" else "  "
        cause = f" of #{int(row.caused_by)}" if pd.notna(row.caused_by) else ""
        print(f"{lead}#{row.rank} [{row.role}{cause}, confidence {row.confidence:.2f}] {redact_text(str(row.title))}")
        if row.role != "consequence":
            print(f"{lead}   now: {textwrap.shorten(redact_text(str(row.next)), 300, placeholder=' …')}")
    rest = len(hyp) - len(shown)
    if rest > 0:
        print(f"  … {rest} more in postmortem.md and triage.json")
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)


def _cmd_triage(args: argparse.Namespace) -> int:
    from apiprobe.report import triage_report, write_triage_files

    incident, baseline = _window(args.incident, "--incident"), _window(args.baseline, "--baseline")
    out = Path(args.out) if args.out else Path("reports") / f"triage-{Path(args.path).resolve().name}"
    if args.no_report:
        from apiprobe.incident import triage

        result = triage(
            args.path,
            incident=incident,
            baseline=baseline,
            service=args.service,
            progress=sys.stderr.isatty() and not args.quiet,
        )
        _print_triage(result)
        files = write_triage_files(result, out)
        print(f"postmortem draft: {files['postmortem'].resolve()}")
        return 0
    result, report = triage_report(
        args.path,
        out,
        incident=incident,
        baseline=baseline,
        service=args.service,
        kernel_name=args.kernel,
        log=(lambda line: print(line, file=sys.stderr)) if not args.quiet else None,
        progress=sys.stderr.isatty() and not args.quiet,
        jobs=args.jobs,
        self_contained=args.self_contained,
    )
    _print_triage(result)
    print(f"postmortem draft: {(out / 'postmortem.md').resolve()}")
    print(f"report: {report.index_path.resolve()}")
    return 0 if report.ok else 1


def _cmd_report(args: argparse.Namespace) -> int:
    from apiprobe.report import NOTEBOOKS, NotebookRun, demo_runs, find_notebook, run_report

    params = {name: _parse_value(value) for name, value in (args.param or [])}
    notebooks_dir = Path(args.notebooks) if args.notebooks else NOTEBOOKS
    if args.demo:
        from apiprobe.demo import write_demo
        from apiprobe.lab import FaultLab
        from apiprobe.report import triage_report

        data_dir = Path(args.data)
        if not (data_dir / "incident").is_dir():
            write_demo(data_dir)
        with FaultLab(seed=0) as lab:
            urls = {name: ep.url for name, ep in lab.endpoints.items()}
            extra = demo_runs(notebooks_dir, data_dir, urls, cafile=str(lab.ca_path))
            _, result = triage_report(
                data_dir / "incident",
                args.out,
                extra_runs=extra,
                notebooks_dir=notebooks_dir,
                kernel_name=args.kernel,
                log=print,
                jobs=args.jobs,
                self_contained=args.self_contained,
            )
    elif args.triage:
        from apiprobe.report import triage_report

        _, result = triage_report(
            args.triage,
            args.out,
            extra_runs=[NotebookRun(find_notebook(nb), params) for nb in args.notebooks_to_run],
            notebooks_dir=notebooks_dir,
            kernel_name=args.kernel,
            log=print,
            jobs=args.jobs,
            self_contained=args.self_contained,
        )
    else:
        if not args.notebooks_to_run:
            _usage("apiprobe report: name at least one notebook, or use --demo or --triage PATH")
        runs = [NotebookRun(find_notebook(nb), params) for nb in args.notebooks_to_run]
        result = run_report(
            runs, args.out, kernel_name=args.kernel, log=print, jobs=args.jobs, self_contained=args.self_contained
        )
    print(f"report: {result.index_path.resolve()}")
    return 0 if result.ok else 1


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``apiprobe`` command."""
    parser = argparse.ArgumentParser(prog="apiprobe", description="Probe APIs and build incident reports.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "triage",
        help="in an incident: read a folder of mixed evidence, rank the causes, write a report and a postmortem draft",
    )
    p.add_argument(
        "path", metavar="PATH", help="a folder of logs, dumps, profiles, traces, HAR, certificates, metrics..."
    )
    p.add_argument("--out", "-o", help="report folder (default reports/triage-<folder name>)")
    p.add_argument("--incident", metavar="START/END", help="incident window (default: where failures step up)")
    p.add_argument("--baseline", metavar="START/END", help="baseline window (default: just before the incident)")
    p.add_argument("--service", help="the service users call (impact, SLO); default: the top of the call graph")
    p.add_argument("--no-report", action="store_true", help="print and write postmortem.md only; run no notebook")
    p.add_argument("--kernel", default=None, help="Jupyter kernel name (default: the notebook's)")
    p.add_argument("--jobs", "-j", type=int, default=None, help="notebooks run at once (default: the number of cores)")
    p.add_argument(
        "--self-contained", action="store_true", help="plotly.js inside every page (mailable alone; ~4.6 MB each)"
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no progress lines")
    p.set_defaults(func=_cmd_triage)

    p = sub.add_parser("probe", help="time HTTP(S) requests phase by phase")
    p.add_argument("urls", nargs="+", metavar="URL")
    p.add_argument("--count", "-n", type=int, default=10, help="attempts per URL (default 10)")
    p.add_argument("--interval", "-i", type=float, default=1.0, help="seconds between attempts (default 1)")
    p.add_argument("--timeout", "-t", type=float, default=5.0, help="seconds per attempt (default 5)")
    p.add_argument("--concurrency", "-c", type=int, default=10)
    p.add_argument("--method", "-X", default="GET")
    p.add_argument("--header", "-H", action="append", help="request header 'Name: value' (repeatable)")
    p.add_argument("--cafile", help="PEM bundle of CAs to trust")
    p.add_argument("--insecure", "-k", action="store_true", help="do not verify certificates (warns)")
    p.add_argument("--resolve", action="append", metavar="HOST:ADDRESS", help="pin a name to an address")
    p.add_argument("--keepalive", action="store_true", help="reuse connections (default: cold)")
    p.add_argument(
        "--workers",
        "-w",
        type=int,
        default=1,
        help="processes to spread attempts over (default 1; one per core for big runs)",
    )
    p.add_argument("--out", "-o", help="save rows to .csv, .parquet or .jsonl")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_probe)

    p = sub.add_parser("ping", help="TCP-connect RTT, jitter and loss")
    p.add_argument("targets", nargs="+", metavar="HOST:PORT")
    p.add_argument("--count", "-n", type=int, default=10)
    p.add_argument("--interval", "-i", type=float, default=1.0)
    p.add_argument("--timeout", "-t", type=float, default=3.0)
    p.add_argument("--out", "-o")
    p.set_defaults(func=_cmd_ping)

    p = sub.add_parser("tls", help="capture and diagnose certificate chains (exit 1 if any is untrusted)")
    p.add_argument("targets", nargs="+", metavar="HOST[:PORT]|URL|PEM")
    p.add_argument("--pem", action="store_true", help="targets are PEM files / saved s_client output")
    p.add_argument("--servername", help="name to send as SNI and check the certificate against")
    p.add_argument("--cafile", help="extra trust store (PEM bundle) to evaluate")
    p.add_argument("--store", action="append", help="trust stores: certifi, system (default both)")
    p.add_argument("--at", help="evaluate validity at this ISO 8601 time (postmortems)")
    p.add_argument("--timeout", type=float, default=5.0)
    p.add_argument("--go-log", help="a TLS error line from a Go log, matched to its possible causes")
    p.set_defaults(func=_cmd_tls)

    p = sub.add_parser("dns", help="resolve names with the system resolver and/or DNS servers")
    p.add_argument("names", nargs="+", metavar="NAME")
    p.add_argument("--resolver", "-r", action="append", help="'system' or a server IP[:port] (repeatable)")
    p.add_argument("--type", "-t", action="append", help="record type (repeatable; default A and AAAA)")
    p.add_argument("--count", "-n", type=int, default=3)
    p.add_argument("--interval", "-i", type=float, default=0.5)
    p.add_argument("--timeout", type=float, default=2.0)
    p.add_argument("--resolv-conf", default="/etc/resolv.conf", help="resolv.conf to check search/ndots")
    p.add_argument("--out", "-o")
    p.set_defaults(func=_cmd_dns)

    p = sub.add_parser("logs", help="read Go service logs (any logger, .gz too): parse counts, error kinds, findings")
    p.add_argument("paths", nargs="+", metavar="PATH", help="files, folders or globs")
    p.add_argument("--format", default="auto", help="dialect for every file (default: detect per file)")
    p.add_argument("--service", help="service name for every line (default: a service field, else the file name)")
    p.add_argument("--since", help="keep lines at or after this time (ISO 8601; naive = UTC)")
    p.add_argument("--until", help="keep lines before this time")
    p.add_argument("--regex", help="plain-text logs: a regex with named groups (ts, level, msg, ...)")
    p.add_argument("--incident", metavar="START/END", help="incident window (default: the busiest error minute)")
    p.add_argument("--baseline", metavar="START/END", help="baseline window to compare with")
    p.add_argument("--out", "-o", help="save the classified lines (.parquet keeps attrs as a struct)")
    p.add_argument(
        "--to",
        metavar="DIR",
        help="stream the logs into a Parquet evidence store (bounded memory) and analyse it with DuckDB; "
        "a store given as PATH is analysed directly",
    )
    p.add_argument("--partition-by", default="service,date", help="with --to: partition columns (default service,date)")
    p.add_argument("--overwrite", action="store_true", help="with --to: replace a store already there")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_logs)

    p = sub.add_parser("lab", help="run the fault lab on loopback until interrupted")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print endpoints as one JSON line")
    p.set_defaults(func=_cmd_lab)

    p = sub.add_parser("demo", help="write the reproducible demo incident data")
    p.add_argument("--out", default="data/demo")
    p.add_argument("--seed", type=int, default=7)
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("report", help="run notebooks headless and write an offline HTML report")
    p.add_argument(
        "notebooks_to_run",
        nargs="*",
        metavar="NOTEBOOK",
        help="a notebook file, or the name of an installed one (e.g. 01_latency_timeouts)",
    )
    p.add_argument(
        "-p",
        "--param",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        help="notebook parameter; VALUE is JSON if it parses, else a string",
    )
    p.add_argument("--out", "-o", default="reports/latest")
    p.add_argument("--demo", action="store_true", help="run the demo suite (triage of the demo incident + fault lab)")
    p.add_argument("--triage", metavar="PATH", help="lead with the triage of an evidence folder and its notebooks")
    p.add_argument("--notebooks", default=None, help="notebook folder for --demo (default: the installed notebooks)")
    p.add_argument("--data", default="data/demo", help="demo data folder for --demo")
    p.add_argument("--kernel", default=None, help="Jupyter kernel name (default: the notebook's)")
    p.add_argument("--jobs", "-j", type=int, default=None, help="notebooks run at once (default: the number of cores)")
    p.add_argument(
        "--self-contained", action="store_true", help="plotly.js inside every page (mailable alone; ~4.6 MB each)"
    )
    p.set_defaults(func=_cmd_report)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``apiprobe`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ApiprobeError as exc:
        print(f"apiprobe {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
