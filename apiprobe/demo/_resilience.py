"""The demo's declared call graph: timeouts and retries along the checkout path (handbook §4.3)."""

from __future__ import annotations

__all__ = ["DEMO_TIMEOUTS_YAML"]

#: ``timeouts.yaml`` of the demo services, as a team would write it from their configs. Two hops
#: overrun their caller's timeout when every attempt times out: gateway → checkout (3 attempts of
#: 3 s with go-retryablehttp's 1 s and 2 s waits, under the gateway's 10 s) and checkout → inventory
#: (4 attempts of 800 ms with exponential waits of 1, 2 and 4 s, under checkout's 3 s); payments
#: gives its bank call 5 s while checkout gives payments only 1 s.
DEMO_TIMEOUTS_YAML = """\
# Timeouts and retries along the checkout path (one attempt's timeout; retries after the first attempt).
calls:
  - {caller: client,   callee: gateway,   timeout: 10s}
  - {caller: gateway,  callee: checkout,  timeout: 3s,    retries: 2, backoff: go-retryablehttp}
  - {caller: checkout, callee: inventory, timeout: 800ms, retries: 3, backoff: exponential}
  - {caller: checkout, callee: payments,  timeout: 1s,    retries: 1}
  - {caller: payments, callee: bank,      timeout: 5s}
  - {caller: gateway,  callee: auth,      timeout: 500ms, retries: 1}
"""
