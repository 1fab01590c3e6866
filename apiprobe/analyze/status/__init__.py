"""HTTP status codes that say the wrong thing (handbook §2.4), from logs, probes or HAR files.

A status code is part of an API's contract: clients, retry policies, circuit
breakers, caches and error-rate dashboards act on it without reading bodies.
The handbook lists the usual anti-patterns; this module finds them in
evidence tables and says which status to answer instead:

==============================  ==========================================  ===========
misuse kind                     what is seen                                answer
==============================  ==========================================  ===========
``ok_error_body``               2xx whose body reports an error (``error``  the 4xx/5xx
                                / ``errors`` non-empty, ``code`` ≠ 0,       the error
                                ``success: false``, ``ok: false``,          means (422
                                ``status: "error"``)                        by default)
``notfound_business_rule``      404 for a business rule ("insufficient      422 (409 for
                                balance", "out of stock", "not allowed")    conflicts)
``server_error_validation``     500 for a request that failed validation    400
                                ("invalid", "must be", "cannot unmarshal")
``forbidden_unauthenticated``   403 for a caller that is not authenticated  401
                                ("token expired", "login required", no
                                ``Authorization`` header)
``unauthorized_forbidden``      401 for an authenticated caller without     403
                                permission ("permission denied")
``server_error_low_level``      5xx logged at info or debug level           log at error
``client_4xx_storm``            one client (id, IP or user agent) produces  fix the
                                most 4xx of a route                         client; 429
==============================  ==========================================  ===========

The handbook's mapping table allows "200 or 422" for a business-rule
rejection; this tool does not: a 200 tells every client, proxy and monitor
that the operation succeeded. Answer 422 (or 409 for a state conflict) and
keep the business code in the body.

Inputs are any of:

* an **events** table (request log lines, schema ``events``): ``status``,
  ``route``, ``msg``, ``error``, ``level``, ``service``, ``attrs`` (dicts or
  an Arrow struct; ``method``, ``path``, client id / IP / user agent and
  ``body`` are looked up there), and optionally a ``body`` column;
* a **probes** table with a ``body`` column (``probe_http(...,
  body_limit=N)``), grouped by host and URL path;
* a **HAR** table (:func:`apiprobe.load.har.read_har`), which also tells
  whether a request carried credentials.

Routes are grouped per service, method and route; numeric, UUID and long hex
path segments are folded into ``{id}`` so ``/users/42`` and ``/users/43``
count together (``normalize_routes=False`` keeps them apart). Messages in
English and Chinese are recognised.

The package is split by responsibility: ``_vocab`` (kinds and message
patterns), ``_view`` (one normalised row per request), ``_envelope`` (error
envelopes in bodies), ``_classify`` (per-request misuse, the status table) and
``_detect`` (findings per route).
"""

from __future__ import annotations

from apiprobe.analyze.status._classify import classify_status_misuse, status_table
from apiprobe.analyze.status._detect import detect_status_misuse
from apiprobe.analyze.status._envelope import envelope_error
from apiprobe.analyze.status._vocab import MISUSE_KINDS, RECOMMENDED_STATUS

__all__ = [
    "MISUSE_KINDS",
    "RECOMMENDED_STATUS",
    "classify_status_misuse",
    "detect_status_misuse",
    "envelope_error",
    "status_table",
]
