"""Resilience (handbook §4): retries and backoff, circuit breakers, timeout budgets, fallbacks.

* :mod:`._retry` — the Go libraries' retry policies: schedules, decisions,
  budgets, amplification down a call chain (§4.1);
* :mod:`._storm` — attempts per request from logs or traces, retry storms
  and retries that break the rules (§4.1);
* :mod:`._breaker` — sony/gobreaker v1's state machine and a replay of
  recorded calls through it; :mod:`._breaker_faults` — breakers seen in
  logs, flapping and misconfiguration (§4.2);
* :mod:`._timeouts` — timeout budgets from traces and a declared call graph,
  deadline chains from logs (§4.3);
* :mod:`._fallback` — traffic served by a fallback over time (§4.4).
"""

from apiprobe.analyze.resilience._breaker import (
    BREAKER_STATES,
    BreakerCounts,
    BreakerReplay,
    GoBreaker,
    breaker_what_if,
    replay_breaker,
)
from apiprobe.analyze.resilience._breaker_faults import breaker_calls, breaker_from_logs, detect_breaker_faults
from apiprobe.analyze.resilience._detect import breakers_by_subject, detect_resilience_faults
from apiprobe.analyze.resilience._fallback import DEFAULT_FALLBACK_PATTERN, detect_fallback, fallback_share
from apiprobe.analyze.resilience._retry import (
    RETRY_PRESETS,
    RetryBudget,
    RetryPolicy,
    retry_amplification,
    retry_budget,
    retry_decision,
    retry_policy,
    retry_schedule,
)
from apiprobe.analyze.resilience._storm import (
    CALLEE_KEYS,
    REQUEST_KEYS,
    detect_retry_storm,
    retry_attempts,
    retry_lower_bounds,
    retry_timeline,
)
from apiprobe.analyze.resilience._timeouts import (
    DEADLINE_KEYS,
    budget_tree,
    deadline_chains,
    detect_timeout_faults,
    duration_ms,
    timeout_budget,
)

__all__ = [
    "BREAKER_STATES",
    "CALLEE_KEYS",
    "DEADLINE_KEYS",
    "DEFAULT_FALLBACK_PATTERN",
    "REQUEST_KEYS",
    "RETRY_PRESETS",
    "BreakerCounts",
    "BreakerReplay",
    "GoBreaker",
    "RetryBudget",
    "RetryPolicy",
    "breaker_calls",
    "breaker_from_logs",
    "breaker_what_if",
    "breakers_by_subject",
    "budget_tree",
    "deadline_chains",
    "detect_breaker_faults",
    "detect_fallback",
    "detect_resilience_faults",
    "detect_retry_storm",
    "detect_timeout_faults",
    "duration_ms",
    "fallback_share",
    "replay_breaker",
    "retry_amplification",
    "retry_attempts",
    "retry_budget",
    "retry_decision",
    "retry_lower_bounds",
    "retry_policy",
    "retry_schedule",
    "retry_timeline",
    "timeout_budget",
]
