"""What each fault can cause, as data: the rules triage ranks and chains hypotheses with.

One :class:`CauseRule` per fault of :data:`apiprobe.schema.FAULTS`. A rule
says what kind of thing the fault is (a cause, an amplifier, a symptom, a
contributing factor or background), which faults it can lead to, what would
confirm or refute it, what to do now and which notebook looks deeper.

Read them, extend them: ``rank_hypotheses(..., rules={**CAUSE_RULES, "dns": my_rule})``.
The chains follow the handbook: a pool that runs dry makes calls slow, slow
calls hit client timeouts, timeouts are retried, retries add load and trip
breakers, and the error budget burns (§2.5 → §2.1 → §4.1 → §4.2 → §5).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CALLER_KINDS",
    "CALLER_SIDE",
    "CANCELED_KINDS",
    "CAUSE_RULES",
    "KIND_FAULTS",
    "ROLES",
    "SOURCE_WEIGHTS",
    "CauseRule",
]

#: What a fault is, as a cause: its prior weight as the root of an incident.
ROLES: dict[str, float] = {
    "cause": 1.0,  # something broke or ran out: a pool, a certificate, a resolver, the CPU
    "amplifier": 0.55,  # made it worse: retries, breakers that flap, work nobody waits for
    "symptom": 0.35,  # what callers saw: timeouts, 5xx, slow spans, burning budget
    "contributing": 0.25,  # configuration that let it happen: timeouts with no slack
    "background": 0.1,  # true, worth fixing, rarely the story of an outage: misleading status codes
}

_SYMPTOMS = (
    "timeout",
    "high_latency",
    "jitter",
    "slow_span",
    "slow_phase",
    "server_errors",
    "error_burst",
    "new_error",
)
_DOWNSTREAM = (*_SYMPTOMS, "retry_storm", "breaker_open", "breaker_flapping", "fallback", "slo_burn", "orphaned_work")


@dataclass(frozen=True)
class CauseRule:
    """How one fault takes part in an incident.

    Attributes
    ----------
    fault : str
        The fault (a key of :data:`apiprobe.schema.FAULTS`).
    title : str
        The hypothesis in words; ``{where}`` becomes the service or subject.
    role : str
        A key of :data:`ROLES`.
    leads_to : tuple of str
        Faults this one can cause, in the same service or in its callers.
    confirm : str
        What would confirm it, and what would refute it.
    next : str
        What to do now.
    notebook : str
        The notebook that looks deeper.
    handbook_ref : str
        The handbook section.
    """

    fault: str
    title: str
    role: str
    leads_to: tuple[str, ...]
    confirm: str
    next: str
    notebook: str
    handbook_ref: str


def _rule(
    fault: str,
    title: str,
    role: str,
    leads_to: tuple[str, ...],
    confirm: str,
    next: str,
    notebook: str,
    ref: str,
) -> tuple[str, CauseRule]:
    return fault, CauseRule(fault, title, role, leads_to, confirm, next, notebook, ref)


#: fault → its rule. Every fault of :data:`apiprobe.schema.FAULTS` has one (a test checks).
CAUSE_RULES: dict[str, CauseRule] = dict(
    [
        _rule(
            "pool_exhaustion",
            "{where}: connection pool exhausted",
            "cause",
            _DOWNSTREAM,
            "Confirm: a goroutine dump of the service shows many goroutines waiting for a connection while all "
            "connections are busy; pool stats (waits, timeouts) rise; pool usage sits at 100 %. "
            "Refute: the pool has idle connections while requests are slow.",
            "Find what holds the connections (a long query, a batch job, a leak: connections not returned) and "
            "stop it; then size the pool for rate × hold time and set a pool timeout below the callers' timeouts.",
            "06_pool_exhaustion",
            "§2.5",
        ),
        _rule(
            "gc_pressure",
            "{where}: garbage collection stalls the process",
            "cause",
            (*_DOWNSTREAM, "cpu_throttling"),
            "Confirm: GC pause time per minute and heap grow together with latency; a heap profile shows the "
            "allocations. Refute: latency rises while GC time stays flat.",
            "Take a heap and an allocs profile; cut allocations on the hot path or raise GOGC/GOMEMLIMIT.",
            "07_profiles",
            "§3.1",
        ),
        _rule(
            "cpu_throttling",
            "{where}: CPU limit throttles the process",
            "cause",
            (*_DOWNSTREAM, "gc_pressure"),
            "Confirm: container_cpu_cfs_throttled_periods rises with latency; GOMAXPROCS is above the CPU limit. "
            "Refute: no throttled periods while latency rises.",
            "Raise the CPU limit or set GOMAXPROCS to the limit (automaxprocs); profile the CPU to see what burns it.",
            "07_profiles",
            "§5",
        ),
        _rule(
            "goroutine_leak",
            "{where}: goroutines leak",
            "cause",
            (*_DOWNSTREAM, "gc_pressure", "pool_exhaustion"),
            "Confirm: two goroutine dumps minutes apart show one stack group growing; go_goroutines only rises. "
            "Refute: the count falls back when load falls.",
            "Compare two dumps to find the growing stack; make sure every goroutine can end "
            "(context, closed channels).",
            "06_pool_exhaustion",
            "§2.5",
        ),
        _rule(
            "dns",
            "{where}: name resolution slow or failing",
            "cause",
            (*_DOWNSTREAM, "connect_refused"),
            "Confirm: DNS phase dominates slow probes; resolver answers slow, SERVFAIL or differ. "
            "Refute: lookups are fast from the same host during the incident.",
            "Query every resolver directly; check resolv.conf search/ndots; cache or pin the name meanwhile.",
            "03_dns",
            "§2.1",
        ),
        _rule(
            "connect_refused",
            "{where}: nothing listens where clients connect",
            "cause",
            _DOWNSTREAM,
            "Confirm: 'connection refused' starts when an instance restarted or was removed; a probe of the "
            "address fails at connect. Refute: connects succeed to the same address.",
            "Check what restarted or moved (deploy, crash loop, database failover) and whether clients cache an "
            "old address.",
            "09_logs_errors",
            "§2.1",
        ),
        _rule(
            "loss",
            "{where}: packets lost on the way",
            "cause",
            (*_DOWNSTREAM, "jitter"),
            "Confirm: TCP connects stuck at ~1 s or ~3 s (SYN retransmissions); loss in pings. "
            "Refute: connects are steady from another host on the same path.",
            "Ping the path (mtr); check the network policy, conntrack table and NIC drops on both ends.",
            "01_latency_timeouts",
            "§2.1",
        ),
        _rule(
            "tls_chain",
            "{where}: certificate chain not trusted",
            "cause",
            ("new_error", "error_burst", "server_errors", "slo_burn", "retry_storm"),
            "Confirm: clients log 'x509: certificate signed by unknown authority' from when the chain changed. "
            "Refute: no x509 errors in the callers' logs.",
            "Serve the full chain (leaf + intermediates) or install the private root in the clients' trust store.",
            "02_tls_certificates",
            "§2.2",
        ),
        _rule(
            "tls_expiry",
            "{where}: certificate expired or not yet valid",
            "cause",
            ("new_error", "error_burst", "server_errors", "slo_burn", "retry_storm"),
            "Confirm: x509 'certificate has expired or is not yet valid' errors start at not_after. "
            "Refute: the served certificate is valid at the incident time.",
            "Renew and deploy the certificate; alert on days left.",
            "02_tls_certificates",
            "§2.2",
        ),
        _rule(
            "tls_hostname",
            "{where}: certificate does not name the host",
            "cause",
            ("new_error", "error_burst", "server_errors", "slo_burn"),
            "Confirm: x509 'certificate is valid for …, not …' errors. Refute: the SANs hold the name clients use.",
            "Issue the certificate with the name clients dial (SAN), or dial the name it holds.",
            "02_tls_certificates",
            "§2.2",
        ),
        _rule(
            "tls_weak",
            "{where}: weak TLS settings",
            "background",
            (),
            "Confirm with the chain's key sizes and signature algorithms.",
            "Replace the weak key or signature at the next rotation.",
            "02_tls_certificates",
            "§2.2",
        ),
        _rule(
            "serialization",
            "{where}: request bodies lose or mistype fields",
            "background",
            ("status_misuse",),
            "Confirm: the Go struct's tags against real payloads (dropped keys, type errors). "
            "Refute: payloads decode key for key.",
            "Fix the struct tags or the client's field names; reject unknown fields while migrating.",
            "04_serialization",
            "§2.3",
        ),
        _rule(
            "status_misuse",
            "{where}: status codes say the wrong thing",
            "background",
            (),
            "Confirm in the request logs: the status against what the body or message says.",
            "Answer with the status the client can act on (4xx for the caller's fault, 5xx for ours).",
            "05_status_codes",
            "§2.4",
        ),
        _rule(
            "timeout",
            "{where}: calls hit the client timeout",
            "symptom",
            (
                "retry_storm",
                "server_errors",
                "error_burst",
                "new_error",
                "slo_burn",
                "orphaned_work",
                "breaker_open",
                "breaker_flapping",
                "fallback",
            ),
            "Confirm: the timed-out calls' callee is slow at the same time (its latency, its own waits). "
            "Refute: the callee answers fast; then look at the network between them.",
            "Follow the slowest callee; keep each timeout below what the caller has left.",
            "10_resilience",
            "§2.1",
        ),
        _rule(
            "high_latency",
            "{where}: latency above the threshold",
            "symptom",
            ("timeout", "slo_burn", "retry_storm", "slow_span"),
            "Confirm: which phase or span takes the time.",
            "Break the latency down by phase (probes) or by span (traces).",
            "01_latency_timeouts",
            "§2.1",
        ),
        _rule(
            "slow_phase",
            "{where}: one phase dominates slow requests",
            "symptom",
            ("timeout", "slo_burn"),
            "Confirm: the phase's share of slow requests against a baseline.",
            "Look at the phase that dominates: DNS, connect, TLS or the server.",
            "01_latency_timeouts",
            "§2.1",
        ),
        _rule(
            "jitter",
            "{where}: latency varies strongly",
            "symptom",
            ("timeout",),
            "Confirm: consecutive samples differ by more than the threshold.",
            "Look for loss, a busy host or a noisy neighbour.",
            "01_latency_timeouts",
            "§2.1",
        ),
        _rule(
            "slow_span",
            "{where}: one service dominates the slow traces",
            "symptom",
            ("timeout", "slo_burn"),
            "Confirm: the span's self time against its children.",
            "Open the slowest traces; look at what the dominating service waits for.",
            "08_tracing",
            "§3.2",
        ),
        _rule(
            "slow_region",
            "{where}: some requests wait far longer than the rest",
            "symptom",
            ("timeout", "high_latency", "slo_burn"),
            "Confirm: the execution trace's region breakdown names what the slow ones waited on (a pool, a lock, "
            "the network, a P, the GC). Refute: the slow ones spent their time running (then it is CPU: profile it).",
            "Follow the largest part of the slow regions' time: the sync profile for locks and pools, the callee for "
            "network waits, GOMAXPROCS against the CPU limit for scheduler waits.",
            "12_execution_trace",
            "§3.1",
        ),
        _rule(
            "goroutine_pileup",
            "{where}: goroutines pile up on one wait",
            "cause",
            (*_DOWNSTREAM, "slow_region", "goroutine_leak"),
            "Confirm: many goroutines blocked at once on the same stack in an execution trace or a goroutine dump, "
            "growing with load. Refute: the wait is short and the count falls back.",
            "Find what holds the lock, channel or resource they wait on (the trace's sync profile names it) and "
            "shorten or shard it.",
            "12_execution_trace",
            "§3.1",
        ),
        _rule(
            "sched_latency",
            "{where}: goroutines wait for a CPU to run on",
            "cause",
            (*_DOWNSTREAM, "slow_region"),
            "Confirm: runnable-to-running waits in the execution trace grow with load, and GOMAXPROCS or the CPU "
            "limit is small for the work. Refute: the waits stay short while latency rises.",
            "Compare GOMAXPROCS with the container's CPU limit (throttling), find goroutines that hog a P, and give "
            "the process the CPU it needs.",
            "12_execution_trace",
            "§3.1",
        ),
        _rule(
            "server_errors",
            "{where}: 5xx answers",
            "symptom",
            ("slo_burn", "retry_storm", "breaker_open", "breaker_flapping", "fallback"),
            "Confirm: the errors' messages name the failing dependency.",
            "Follow the error to the service that produced it.",
            "09_logs_errors",
            "§2.4",
        ),
        _rule(
            "error_burst",
            "{where}: an error grew sharply",
            "symptom",
            ("slo_burn", "retry_storm"),
            "Confirm: the error's messages and the service that logs it first.",
            "Read the first lines of the burst; they usually name the cause.",
            "09_logs_errors",
            "§3.3",
        ),
        _rule(
            "new_error",
            "{where}: an error the baseline never showed",
            "symptom",
            ("slo_burn", "retry_storm"),
            "Confirm: when it first appeared against deploys and restarts.",
            "Read the first lines; compare with what changed at that moment.",
            "09_logs_errors",
            "§3.3",
        ),
        _rule(
            "retry_storm",
            "{where}: retries multiply the load",
            "amplifier",
            ("pool_exhaustion", "server_errors", "high_latency", "breaker_open", "breaker_flapping", "slo_burn"),
            "Confirm: attempts per request above 1.5 while the callee struggles. Refute: attempts stay near 1.",
            "Cap retries with a budget, add jittered backoff, stop retrying errors a retry cannot fix.",
            "10_resilience",
            "§4.1",
        ),
        _rule(
            "retry_misuse",
            "{where}: retries ignore backoff or retry what cannot succeed",
            "amplifier",
            ("retry_storm",),
            "Confirm: gaps between attempts against the policy; retried 4xx and x509 errors.",
            "Use the library's backoff with jitter; do not retry 4xx or certificate errors.",
            "10_resilience",
            "§4.1",
        ),
        _rule(
            "breaker_flapping",
            "{where}: circuit breaker flaps",
            "amplifier",
            ("server_errors", "fallback", "slo_burn"),
            "Confirm: open → half-open → open in quick succession while the callee is still failing.",
            "Lengthen the breaker's open timeout; let half-open probe with a few requests.",
            "10_resilience",
            "§4.2",
        ),
        _rule(
            "breaker_open",
            "{where}: circuit breaker rejects calls",
            "symptom",
            ("server_errors", "fallback", "slo_burn"),
            "Confirm: rejected calls line up with the callee's failures.",
            "Fix the callee; the breaker is doing its job.",
            "10_resilience",
            "§4.2",
        ),
        _rule(
            "breaker_misconfig",
            "{where}: circuit breaker misconfigured",
            "contributing",
            ("retry_storm", "server_errors"),
            "Confirm: the trip rule against the failures the logs show.",
            "Count only the callee's failures; make the trip rule reachable.",
            "10_resilience",
            "§4.2",
        ),
        _rule(
            "timeout_budget",
            "{where}: timeouts with no slack",
            "contributing",
            ("timeout", "orphaned_work", "retry_storm"),
            "Confirm: the declared timeouts and retries against what the caller has left.",
            "Make each hop's timeout × attempts fit inside its caller's; propagate deadlines with context.",
            "10_resilience",
            "§4.3",
        ),
        _rule(
            "orphaned_work",
            "{where}: work continues after the caller gave up",
            "amplifier",
            ("pool_exhaustion", "high_latency", "gc_pressure"),
            "Confirm: spans that end after their parent; handlers that ignore ctx.Done().",
            "Pass the request's context down and stop work when it is cancelled.",
            "10_resilience",
            "§4.3",
        ),
        _rule(
            "fallback",
            "{where}: requests served by a fallback",
            "symptom",
            ("slo_burn",),
            "Confirm: the share served by the fallback against the primary's errors.",
            "Check the fallback's answers are acceptable while the primary is fixed.",
            "10_resilience",
            "§4.4",
        ),
        _rule(
            "slo_burn",
            "{where}: the error budget burns",
            "symptom",
            (),
            "Confirm: the burn rate over the alert's long and short windows.",
            "Page per the burn-rate alert; the cause is upstream in this list.",
            "11_metrics_slo",
            "§5",
        ),
        _rule(
            "propagation_gap",
            "{where}: trace ids lost between services",
            "background",
            (),
            "Confirm: spans of the callee under new trace ids.",
            "Propagate W3C traceparent (or B3) through every hop and log the trace id.",
            "08_tracing",
            "§3.2",
        ),
    ]
)

#: Which hypothesis an error kind's burst (``error_burst`` / ``new_error``) belongs to: a pool timeout
#: is evidence of an exhausted pool, ``context canceled`` of callers giving up. Kinds not listed
#: (rate limits, invalid requests, connections ended by restarts) stay hypotheses of their own.
KIND_FAULTS: dict[str, str] = {
    "dns_failure": "dns",
    "dns_timeout": "dns",
    "nxdomain": "dns",
    "servfail": "dns",
    "connect_refused": "connect_refused",
    "connect_timeout": "timeout",
    "tls_untrusted": "tls_chain",
    "tls_expired": "tls_expiry",
    "tls_hostname": "tls_hostname",
    "read_timeout": "timeout",
    "body_timeout": "timeout",
    "deadline_exceeded": "timeout",
    "canceled": "timeout",
    "pool_timeout": "pool_exhaustion",
    "breaker_open": "breaker_open",
    "server_error": "server_errors",
}

#: Faults that happen to the caller (it times out, retries, trips its breaker): a finding that names
#: both ends of a call is about the caller; every other fault is about the callee, where it arose.
CALLER_SIDE: frozenset[str] = frozenset(
    {
        "timeout",
        "timeout_budget",
        "retry_storm",
        "retry_misuse",
        "breaker_flapping",
        "breaker_open",
        "breaker_misconfig",
        "fallback",
    }
)

#: Error kinds a callee logs when its caller gave up (``context canceled``): the hypothesis is the caller's.
CANCELED_KINDS: frozenset[str] = frozenset({"canceled"})

#: Error kinds that callers bring on themselves (rate limits, invalid requests): a burst of them is not
#: explained by a server-side fault, only by retries that hammer the service.
CALLER_KINDS: dict[str, tuple[str, ...]] = {
    "rate_limited": ("retry_storm", "retry_misuse"),
    "client_error": ("retry_storm", "retry_misuse", "serialization"),
}

#: How much one kind of evidence supports a hypothesis on its own (0-1). Independent kinds
#: combine as 1 − Π(1 − w): two sources that agree are stronger than either.
SOURCE_WEIGHTS: dict[str, float] = {
    "goroutines": 0.55,
    "metrics": 0.45,
    "logs": 0.45,
    "traces": 0.35,
    "probes": 0.35,
    "pings": 0.3,
    "dns": 0.4,
    "pprof": 0.3,
    "gotrace": 0.45,
    "har": 0.25,
    "certs": 0.5,
    "go_source": 0.4,
    "payloads": 0.3,
    "timeouts": 0.3,
    "resolv_conf": 0.2,
}
