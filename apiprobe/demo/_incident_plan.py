"""The demo incident's plan: the traffic of the 40 minutes and the checkout path through five services.

:meth:`_Incident.run` draws the arrivals (background traffic, a client's retry
storm, a crawler, the HAR user's session) and plays each request through the
services in time order; the log writers it calls live in
:mod:`apiprobe.demo._incident_logs`.
"""

from __future__ import annotations

from typing import Any

from apiprobe.demo._incident_format import _godur, _json, _logfmt_value, _logrus_text, _rfc3339, _rfc3339_nano, _round3
from apiprobe.demo._incident_logs import _ServiceLogs
from apiprobe.demo._incident_model import _Request, _Span
from apiprobe.demo._incident_story import (
    _ATTEMPT_TIMEOUT,
    _CHARGE_URL,
    _ERR_CANCELED,
    _ERR_CARD,
    _ERR_EOF,
    _ERR_GOAWAY,
    _ERR_POOL,
    _ERR_REFUSED,
    _ERR_RESET,
    _ERR_TIMEOUT,
    _GOAWAY,
    _GW_TIMEOUT,
    _MS,
    _POOL_TIMEOUT,
    _REFUSED,
    _S,
    _SKUS,
    _STORM,
    _T0,
    _T_END,
    _T_INC,
    _T_PANIC,
    HAR_CLIENT_IP,
    STORM_CLIENT_IP,
    _at,
)


class _Incident(_ServiceLogs):
    """The whole incident: call :meth:`run`, then read ``logs``, ``spans`` and ``requests``."""

    # the traffic --------------------------------------------------------------------------
    def run(self) -> None:
        rng = self.rng
        arrivals: list[_Request] = []
        t = _T0
        kinds = ["products", "cart", "cart_add", "checkout", "account", "login"]
        weights = [0.27, 0.20, 0.08, 0.30, 0.09, 0.06]
        while True:
            t += int(rng.expovariate(0.65) * _S)
            if t >= _T_END:
                break
            arrivals.append(self.request(t, rng.choices(kinds, weights)[0], rng.choice(self.clients)))
        t = _STORM[0]
        while t < _STORM[1]:
            arrivals.append(self.request(t, "cart_add", STORM_CLIENT_IP, storm=True))
            t += int(rng.uniform(0.4, 1.3) * _S)
        t = _at("2026-03-14T09:52:10Z") + 271 * _MS
        for n in range(26):  # a crawler in the baseline: over the per-IP burst of 20, the rest get 429
            arrivals.append(self.request(t, "products", "192.0.2.201", forced={"limited": n >= 20}))
            t += int(rng.uniform(0.3, 0.45) * _S)
        arrivals += self.har_session()
        arrivals.sort(key=lambda r: r.t0)
        resets = [_T0 + 7 * 60 * _S + 13 * _S, _T0 + 15 * 60 * _S + 40 * _S]
        goaway = 0
        tokens, last_storm = 20.0, _STORM[0]  # the gateway's rate limiter for one client: 20 burst, 0.2/s
        for req in arrivals:
            if req.kind == "checkout":
                req.sampled = req.sampled or rng.random() < (0.15 if req.t0 >= _T_INC else 0.04)
                if _GOAWAY[0] <= req.t0 < _GOAWAY[1] or (goaway < 3 and req.t0 >= _GOAWAY[0]):
                    goaway += 1
                    self.finish(
                        req, req.t0 + rng.randrange(900_000, 3_000_000), 502, _ERR_GOAWAY, {"error": "bad gateway"}
                    )
                else:
                    self.checkout(req)
            elif req.kind == "products":
                if resets and req.t0 >= resets[0] and not req.forced:
                    resets.pop(0)
                    self.finish(req, req.t0 + self.lognormal(4, 0.3), 502, _ERR_RESET, {"error": "bad gateway"})
                elif req.forced.get("limited") or (not req.forced and rng.random() < 0.012):  # over the limit
                    self.finish(req, req.t0 + rng.randrange(60_000, 250_000), 429, None, {"error": "too many requests"})
                else:
                    self.finish(req, req.t0 + self.lognormal(6, 0.4), 200, None, None)
            elif req.kind == "cart":
                self.finish(req, req.t0 + self.lognormal(11, 0.35), 200, None, None)
            elif req.kind == "cart_add":
                if req.client_ip == STORM_CLIENT_IP and not req.forced:
                    tokens = min(20.0, tokens + (req.t0 - last_storm) / _S * 0.2)
                    last_storm = req.t0
                    if tokens < 1:
                        self.finish(
                            req, req.t0 + rng.randrange(60_000, 250_000), 429, None, {"error": "too many requests"}
                        )
                    else:
                        tokens -= 1
                        self.finish(req, req.t0 + self.lognormal(2, 0.3), 400, None, {"error": "invalid quantity: -1"})
                else:
                    self.cart_add(req)
            else:
                self.auth(req)
        for ns, msg, extra in (
            (_GOAWAY[0] + 3_117_000, "shutting down: received terminated, draining", {}),
            (_GOAWAY[1] - 412_000, "listening", {"addr": ":8080", "version": "2.3.0"}),
        ):
            self.log(
                "orders",
                ns,
                _json(
                    {
                        "level": "info",
                        "service": "orders",
                        **extra,
                        "time": _rfc3339(self.clock("orders", ns)),
                        "message": msg,
                    }
                ),
            )
        self.pool_stats()
        self.reorder_notices()

    def request(
        self, t0: int, kind: str, client_ip: str, *, storm: bool = False, forced: dict[str, Any] | None = None
    ) -> _Request:
        rng = self.rng
        body: str | None = None
        if kind == "products":
            method, path, route = (
                "GET",
                "/api/products?category=" + rng.choice(["running", "trail", "socks"]),
                "/api/products",
            )
        elif kind == "cart":
            method, path, route = "GET", "/api/cart", "/api/cart"
        elif kind == "cart_add":
            qty = -1 if storm else rng.choice([1, 1, 1, 2, 3])
            method, path, route = "POST", "/api/cart/items", "/api/cart/items"
            body = _json({"sku": rng.choice(_SKUS), "qty": qty})
        elif kind == "checkout":
            method, path, route = "POST", "/api/checkout", "/api/checkout"
            body = _json({"cart_id": f"c-{rng.randrange(10**5, 10**6)}", "payment_method": "card"})
        elif kind == "account":
            method, path, route = "GET", "/api/account", "/api/account"
        else:
            method, path, route = "POST", "/api/login", "/api/login"
            body = _json({"email": f"user{rng.randrange(100, 999)}@example.com", "password": "correct-horse-42"})
        req = _Request(t0, kind, method, path, route, client_ip, self.trace_id(), self.span_id(), body, forced or {})
        self.requests.append(req)
        return req

    # the checkout path --------------------------------------------------------------------
    def checkout(self, req: _Request) -> None:
        rng = self.rng
        self.order_no += rng.randrange(1, 4)
        order_id = f"o-{self.order_no}"
        cancel = req.t0 + _GW_TIMEOUT  # the gateway gives up here
        o_start = req.t0 + self.net()
        o_span = self.span_id()
        t = o_start + rng.randrange(80_000, 300_000)
        sku = rng.choice(_SKUS)
        qty = rng.choice([1, 1, 1, 2, 3])

        # reserve stock
        inv = req.forced.get("inventory") or (
            "ok" if req.forced else rng.choices(["ok", "oos", "short"], [0.95, 0.03, 0.02])[0]
        )
        t = self.reserve(req, o_span, t, sku, qty, inv)
        outcome: tuple[int, str | None, Any] | None = None
        if inv == "oos":
            self.zerolog(
                t,
                "info",
                req,
                order_id,
                "order rejected",
                sku=sku,
                code=1001,
                status=200,
                duration_ms=_round3(t - o_start),
            )
            outcome = (200, None, {"code": 1001, "error": "out of stock", "sku": sku})
        elif inv == "short":
            self.zerolog(
                t,
                "warn",
                req,
                order_id,
                "stock reservation failed",
                error=f"inventory: 404 Not Found: insufficient stock for sku {sku}",
                status=404,
                duration_ms=_round3(t - o_start),
            )
            outcome = (404, None, {"error": f"insufficient stock for sku {sku}"})
        if outcome is None:
            outcome, t = self.charge(req, o_span, order_id, t, o_start, cancel, sku, qty)
        o_end = t + rng.randrange(100_000, 400_000)
        status, _, body = outcome
        arrive = o_end + self.net()
        err: str | None = None
        if arrive > cancel:  # the gateway's own timeout fired first
            end = cancel + rng.randrange(100_000, 600_000)
            status, err, body = 504, "context deadline exceeded", {"error": "upstream request timeout"}
        else:
            end = arrive + rng.randrange(50_000, 200_000)
        self.span(
            req,
            "orders",
            req.span_id,
            "POST /v1/orders",
            2,
            o_start,
            o_end,
            {"http.method": "POST", "http.route": "/v1/orders", "http.status_code": outcome[0]},
            error=f"HTTP {outcome[0]}" if outcome[0] >= 500 else None,
            span_id=o_span,
        )
        self.span(
            req,
            "gateway",
            "",
            "POST /api/checkout",
            2,
            req.t0,
            end,
            {
                "http.method": "POST",
                "http.route": "/api/checkout",
                "http.status_code": status,
            },
            error=err or (f"HTTP {status}" if status >= 500 else None),
            span_id=req.span_id,
        )
        self.finish(req, end, status, err, body)

    def reserve(self, req: _Request, o_span: str, t: int, sku: str, qty: int, inv: str) -> int:
        start = t + self.net()
        end = start + self.lognormal(4, 0.3)
        db_start = start + self.rng.randrange(100_000, 300_000)
        db_end = end - self.rng.randrange(50_000, 200_000)
        status = 404 if inv == "short" else 200
        if inv == "short":
            self.inventory(
                req,
                end,
                "WARN",
                "reserve",
                64,
                f"insufficient stock for sku {sku}",
                {
                    "sku": sku,
                    "requested": qty + 3,
                    "available": self.rng.randrange(0, 3),
                    "status": 404,
                    "latency": end - start,
                },
            )
        else:
            attrs: dict[str, Any] = {"sku": sku, "qty": qty, "status": 200, "code": 1001 if inv == "oos" else 0}
            if inv == "oos":
                attrs["error"] = "out of stock"
            attrs["latency"] = end - start
            self.inventory(
                req, end, "INFO", "reserve", 57, "stock reserved" if inv == "ok" else "reserve rejected", attrs
            )
        back = end + self.net()
        client = self.span(
            req,
            "orders",
            o_span,
            "POST /v1/reserve",
            3,
            t,
            back,
            {"http.method": "POST", "http.url": "http://inventory:8080/v1/reserve", "http.status_code": status},
        )
        srv = self.span(
            req,
            "inventory",
            client,
            "POST /v1/reserve",
            2,
            start,
            end,
            {"http.method": "POST", "http.route": "/v1/reserve", "http.status_code": status},
        )
        self.span(
            req,
            "inventory",
            srv,
            "SELECT stock FOR UPDATE",
            3,
            db_start,
            db_end,
            {"db.system": "postgresql", "db.sql.table": "stock"},
        )
        return back

    def attempt_kind(self, t: int, attempt: int) -> str:
        """ok, slow (too slow for the client), pool (pool timeout), refused or panic."""
        if _REFUSED[0] <= t < _REFUSED[1]:
            return "refused"
        if attempt == 1 and not self.panicked and t >= _T_PANIC:
            self.panicked = True
            return "panic"
        sev = self.severity(t)
        if not sev:
            return "ok"
        u = self.rng.random()
        return "pool" if u < 0.36 * sev else "slow" if u < 0.72 * sev else "ok"

    def charge(
        self, req: _Request, o_span: str, order_id: str, t: int, o_start: int, cancel: int, sku: str, qty: int
    ) -> tuple[tuple[int, str | None, Any], int]:
        rng = self.rng
        card_invalid = req.forced.get("card_invalid", not req.forced and rng.random() < 0.02)
        forced = list(req.forced.get("attempts", []))
        o_cancel = cancel + self.net()
        amount = qty * rng.choice([1999, 2499, 4999, 8900])
        last_err = ""
        last_kind = ""
        for attempt in range(1, 4):
            kind = "card" if card_invalid else (forced.pop(0) if forced else self.attempt_kind(t, attempt))
            a_start = t
            s_start = a_start + self.net()
            s_span = self.span_id()
            sev = self.severity(a_start)
            wait = 0
            query = 0
            status, perr = 200, None
            if kind == "card":
                s_end = s_start + rng.randrange(200_000, 600_000)
                status, perr = 500, _ERR_CARD
            elif kind == "refused":
                s_end = s_start + rng.randrange(800_000, 3_000_000)
                status, perr = 503, _ERR_REFUSED
            elif kind in ("pool", "panic"):
                wait = _POOL_TIMEOUT + rng.randrange(50_000, 2_500_000)
                s_end = s_start + wait + rng.randrange(100_000, 300_000)
                status, perr = 503, _ERR_POOL
            else:
                if kind == "slow":  # waits for a connection almost until the pool timeout
                    wait = rng.randrange(440_000, 499_000) * 1000
                    query = rng.randrange(170_000, 380_000) * 1000
                else:
                    wait = (
                        min(int(rng.expovariate(1.0) * 150 * sev * _MS), 400 * _MS)
                        if sev
                        else rng.randrange(30_000, 900_000)
                    )
                    query = self.lognormal(22 * (1 + 2 * sev), 0.3 + 0.15 * sev)
                s_end = s_start + rng.randrange(50_000, 150_000) + wait + query + rng.randrange(100_000, 300_000)
            resp = s_end + self.net()
            limit = min(a_start + _ATTEMPT_TIMEOUT, o_cancel)
            cerr: str | None  # what the orders client gets: None for a 2xx
            if resp > limit:
                # the client gives up first: payments sees its context canceled
                a_end = limit
                cerr = _ERR_TIMEOUT if limit < o_cancel else _ERR_CANCELED
                s_end = a_end + self.net()
                status, perr, kind = 503, "context canceled", "timeout" if limit < o_cancel else "canceled"
                if wait > s_end - s_start:
                    wait = s_end - s_start - 100_000
                query = max(0, s_end - s_start - wait - 200_000)
            else:
                a_end = resp
                cerr = {
                    "card": f"payments: 500 Internal Server Error: {_ERR_CARD}",
                    "refused": f"payments: 503 Service Unavailable: {_ERR_REFUSED}",
                    "pool": f"payments: 503 Service Unavailable: {_ERR_POOL}",
                    "panic": _ERR_EOF,
                }.get(kind)
            self.attempts.append((s_end, kind))
            lat = _round3(s_end - s_start)
            fields: dict[str, Any] = {
                "latency_ms": lat,
                "order_id": order_id,
                "route": "/v1/charge",
                "status": status,
                "traceID": req.trace_id,
            }
            if kind == "panic":
                self.panic(s_end)
                status = 0
            elif perr is None:
                fields["amount_cents"] = amount
                self.log("payments", s_end, _logrus_text(self.clock("payments", s_end), "info", "charge ok", fields))
            else:
                fields["error"] = perr
                level = "error" if kind == "card" else "warning"
                self.log("payments", s_end, _logrus_text(self.clock("payments", s_end), level, "charge failed", fields))
            # spans: orders' client call, payments' server span, its pool wait and its query
            client = self.span(
                req,
                "orders",
                o_span,
                "POST /v1/charge",
                3,
                a_start,
                a_end,
                {
                    "http.method": "POST",
                    "http.url": _CHARGE_URL,
                    **({"http.resend_count": attempt - 1} if attempt > 1 else {}),
                    **({"http.status_code": status} if cerr is None or "payments:" in cerr else {}),
                },
                error=cerr,
            )
            srv = self.span(
                req,
                "payments",
                client,
                "POST /v1/charge",
                2,
                s_start,
                s_end,
                {"http.method": "POST", "http.route": "/v1/charge", **({"http.status_code": status} if status else {})},
                error=(
                    "runtime error: invalid memory address or nil pointer dereference"
                    if kind == "panic"
                    else perr
                    if status >= 500
                    else None
                ),
                span_id=s_span,
            )
            if kind not in ("card", "refused"):
                acq_end = s_start + 80_000 + wait
                self.span(
                    req,
                    "payments",
                    srv,
                    "pgpool.acquire",
                    1,
                    s_start + 80_000,
                    acq_end,
                    {"db.system": "postgresql", "pool.size": 20},
                    error=_ERR_POOL
                    if kind in ("pool", "panic")
                    else "context canceled"
                    if query == 0 and perr
                    else None,
                )
                if query:
                    self.span(
                        req,
                        "payments",
                        srv,
                        "INSERT charges",
                        3,
                        acq_end,
                        acq_end + query,
                        {"db.system": "postgresql", "db.sql.table": "charges"},
                        error="context canceled" if perr else None,
                    )
            t = a_end
            if cerr is None:
                t = self.billing(req, o_span, order_id, t + 60_000, amount)
                self.zerolog(
                    t,
                    "info",
                    req,
                    order_id,
                    "order created",
                    attempt=attempt if attempt > 1 else None,
                    status=200,
                    duration_ms=_round3(t - o_start),
                )
                return (200, None, {"order_id": order_id, "status": "paid"}), t
            last_err, last_kind = cerr or "", kind
            if kind == "canceled":
                break
            if attempt < 3:
                backoff = int(50 * _MS * 2 ** (attempt - 1) * rng.uniform(0.8, 1.2))
                if t + backoff > o_cancel:
                    t = o_cancel
                    last_err, last_kind = "context canceled", "canceled"
                    break
                self.zerolog(t, "warn", req, order_id, "payment attempt failed, retrying", attempt=attempt, error=cerr)
                t += backoff
        status = {"timeout": 504, "canceled": 504, "card": 500, "panic": 502}.get(last_kind, 503)
        body = (
            {"error": _ERR_CARD}
            if last_kind == "card"
            else {"error": "payment timeout"}
            if status == 504
            else {"error": "payment service error"}
            if status == 502
            else {"error": "payment service unavailable"}
        )
        self.zerolog(
            t,
            "error",
            req,
            order_id,
            "checkout failed",
            attempt=attempt,
            error=last_err,
            status=status,
            duration_ms=_round3(t - o_start),
        )
        t = self.release(req, o_span, t + 50_000, sku, qty)
        return (status, last_err, body), t

    def release(self, req: _Request, o_span: str, t: int, sku: str, qty: int) -> int:
        start = t + self.net()
        end = start + self.lognormal(3, 0.3)
        self.inventory(
            req,
            end,
            "INFO",
            "release",
            88,
            "stock released",
            {"sku": sku, "qty": qty, "reason": "payment_failed", "status": 200, "latency": end - start},
        )
        back = end + self.net()
        client = self.span(
            req,
            "orders",
            o_span,
            "POST /v1/release",
            3,
            t,
            back,
            {"http.method": "POST", "http.url": "http://inventory:8080/v1/release", "http.status_code": 200},
        )
        self.span(
            req,
            "inventory",
            client,
            "POST /v1/release",
            2,
            start,
            end,
            {"http.method": "POST", "http.route": "/v1/release", "http.status_code": 200},
        )
        return back

    def billing(self, req: _Request, o_span: str, order_id: str, t: int, amount: int) -> int:
        rng = self.rng
        start = t + self.net()
        took = self.lognormal(9, 0.3)
        end = start + took
        invoice = f"inv-{int(order_id[2:]) * 7 % 1_000_003:07d}"
        fields = {
            "ts": _rfc3339_nano(self.clock("billing", end)),
            "caller": "invoice.go:42",
            "level": "info",
            "msg": "invoice created",
            "invoice_id": invoice,
            "order_id": order_id,
            "amount_cents": amount,
            "took": _godur(took),
        }
        self.log("billing", end, " ".join(f"{k}={_logfmt_value(v)}" for k, v in fields.items()))
        back = end + self.net()
        # billing never sees this span's id: it reads B3 headers, orders sends W3C traceparent
        self.span(
            req,
            "orders",
            o_span,
            "POST /v1/invoices",
            3,
            t,
            back,
            {"http.method": "POST", "http.url": "http://billing:8080/v1/invoices", "http.status_code": 201},
        )
        if req.sampled:
            via_sidecar = rng.random() < 0.3
            zid = self.span_id()
            self.spans.append(
                _Span(
                    "billing",
                    req.trace_id if via_sidecar else self.span_id(),
                    zid,
                    self.span_id() if via_sidecar else "",
                    "post /v1/invoices",
                    2,
                    start,
                    end,
                    {
                        "http.method": "POST",
                        "http.path": "/v1/invoices",
                        "http.status_code": "201",
                        "order.id": order_id,
                    },
                )
            )
            db_start = start + rng.randrange(300_000, 900_000)
            self.spans.append(
                _Span(
                    "billing",
                    self.spans[-1].trace_id,
                    self.span_id(),
                    zid,
                    "insert invoices",
                    3,
                    db_start,
                    db_start + took // 2,
                    {"sql.query": "INSERT INTO invoices"},
                )
            )
        return back

    # the browser session in the HAR ---------------------------------------------------------
    def har_session(self) -> list[_Request]:
        start = _at("2026-03-14T10:05:12Z") + 318 * _MS
        script: list[tuple[float, str, dict[str, Any]]] = [
            (0.0, "products", {}),
            (0.41, "cart", {}),
            (2.2, "cart_add", {"sku": "SKU-1042", "oos": False}),
            (3.6, "account", {"expired": True}),
            (5.9, "login", {"ok": True}),
            (6.7, "account", {"expired": False}),
            (8.1, "checkout", {"inventory": "oos"}),
            (12.4, "cart_add", {"sku": "SKU-2210", "oos": True}),
            (14.9, "cart_add", {"sku": "SKU-2404", "oos": False}),
            (16.2, "checkout", {"inventory": "short"}),
            (21.0, "cart_add", {"sku": "SKU-0311", "oos": False}),
            (22.5, "checkout", {"attempts": ["slow", "slow", "slow"]}),
            (29.3, "checkout", {"attempts": ["pool", "pool", "pool"]}),
            (36.8, "cart", {}),
            (38.0, "checkout", {"attempts": ["pool", "slow", "ok"]}),
            (44.6, "products", {}),
            (47.2, "checkout", {"card_invalid": True}),
            (52.9, "checkout", {"attempts": ["slow", "ok"]}),
            (55.1, "cart", {}),
            (58.4, "products", {}),
        ]
        out = []
        for offset, kind, forced in script:
            req = self.request(start + int(offset * _S), kind, HAR_CLIENT_IP, forced={"har": True, **forced})
            if kind == "cart_add":
                req.body = _json({"sku": forced["sku"], "qty": 1})
            req.sampled = kind == "checkout"
            out.append(req)
        return out
