"""The demo incident's log writers: one method per service and its Go logger's dialect.

gateway (zap JSON access lines), auth (logrus JSON), inventory (slog JSON),
orders (zerolog), payments (logrus text, a Go panic, go-pg pool stats) and
inventory's background notices. The checkout path of
:mod:`apiprobe.demo._incident_plan` calls them as requests finish.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from apiprobe.demo._incident_format import (
    _gofloat,
    _json,
    _logrus_text,
    _rfc3339,
    _rfc3339_ms,
    _round3,
)
from apiprobe.demo._incident_model import _Request, _Sim
from apiprobe.demo._incident_story import _REFUSED, _S, _SKUS, _T0, _T_END, _T_INC, _T_JOB_END


class _ServiceLogs(_Sim):
    """The services' log lines (each method writes what one service logs)."""

    def finish(self, req: _Request, end: int, status: int, error: str | None, body: Any) -> None:
        """The gateway's side of a request: its access-log line (zap production JSON)."""
        req.end, req.status, req.error = end, status, error
        req.response = _json(body) if body is not None else ""
        level = "error" if status in (500, 504) else "info"  # 502/503 at info: the misuse of §3.3
        rec: dict[str, Any] = {
            "level": level,
            "ts": self.clock("gateway", end) / _S,
            "logger": "http",
            "caller": "server/handler.go:88",
            "msg": "request",
            "method": req.method,
            "route": req.route,
            "status": status,
            "latency": (end - req.t0) / _S,
            "trace_id": req.trace_id,
            "span_id": req.span_id,
            "client_ip": req.client_ip,
        }
        if error:
            rec["error"] = error
        if level == "error":
            rec["stacktrace"] = (
                "main.(*accessLog).ServeHTTP\n\t/app/server/handler.go:88\n"
                "net/http.serverHandler.ServeHTTP\n\t/usr/local/go/src/net/http/server.go:2938\n"
                "net/http.(*conn).serve\n\t/usr/local/go/src/net/http/server.go:2009"
            )
        # json writes floats with repr(); zap with strconv 'f' (never an exponent)
        line = _json(rec).replace(f'"latency":{rec["latency"]!r}', f'"latency":{_gofloat(rec["latency"])}')
        self.log("gateway", end, line)

    # auth (logrus JSON) ---------------------------------------------------------------------
    def auth(self, req: _Request) -> None:
        rng = self.rng
        start = req.t0 + self.net()
        if req.kind == "login":
            end = start + self.lognormal(45, 0.2)
            ok = req.forced.get("ok", rng.random() > 0.07)
            status, msg, level = (200, "login ok", "info") if ok else (401, "login failed", "warning")
            err = None if ok else "crypto/bcrypt: hashedPassword is not the hash of the given password"
            path, method = "/v1/login", "POST"
            body: Any = {"token_type": "Bearer", "expires_in": 3600} if ok else {"error": "invalid credentials"}
        else:
            end = start + self.lognormal(2.5, 0.3)
            expired = req.forced.get("expired", rng.random() < 0.07)
            status, msg, level = (403, "token expired", "warning") if expired else (200, "session ok", "info")
            err = "token has invalid claims: token is expired" if expired else None
            path, method = "/v1/session", "GET"
            body = (
                {"error": "token expired"}
                if expired
                else {"user_id": f"u-{rng.randrange(1000, 9999)}", "plan": "basic"}
            )
        rec: dict[str, Any] = {
            "X-Trace-ID": req.trace_id,
            "latency_ms": _round3(end - start),
            "level": level,
            "method": method,
            "msg": msg,
            "path": path,
            "status": status,
            "time": _rfc3339(self.clock("auth", end)),
        }
        if err:
            rec["error"] = err
        self.log("auth", end, json.dumps(rec, sort_keys=True, separators=(",", ":")))
        self.finish(req, end + self.net() + rng.randrange(100_000, 400_000), status, None, body)

    # inventory (slog JSON) ----------------------------------------------------------------
    def inventory(
        self, req: _Request, ns: int, level: str, func: str, line: int, msg: str, attrs: dict[str, Any]
    ) -> None:
        rec = {
            "time": _rfc3339_ms(self.clock("inventory", ns)),
            "level": level,
            "source": {"function": f"main.(*server).{func}", "file": f"/app/{func}.go", "line": line},
            "msg": msg,
            "trace.id": req.trace_id,
            "path": f"/v1/{func}",
            **attrs,
        }
        self.log("inventory", ns, _json(rec))

    def cart_add(self, req: _Request) -> None:
        rng = self.rng
        item = json.loads(req.body or "{}")
        if not req.forced and rng.random() < 0.07:
            self.finish(req, req.t0 + self.lognormal(1.5, 0.3), 400, None, {"error": "invalid quantity: 0"})
            return
        start = req.t0 + self.net()
        end = start + self.lognormal(3, 0.3)
        oos = req.forced.get("oos", rng.random() < 0.04)
        attrs: dict[str, Any] = {"sku": item["sku"], "status": 200, "code": 1001 if oos else 0}
        if oos:
            attrs["error"] = "out of stock"
        attrs["latency"] = end - start
        self.inventory(req, end, "INFO", "stock", 31, "stock checked", attrs)
        body = (
            {"code": 1001, "error": "out of stock", "sku": item["sku"]}
            if oos
            else {"code": 0, "items": rng.randrange(1, 5)}
        )
        self.finish(req, end + self.net() + rng.randrange(200_000, 900_000), 200, None, body)

    def zerolog(self, ns: int, level: str, req: _Request, order_id: str, message: str, **fields: Any) -> None:
        rec: dict[str, Any] = {"level": level, "service": "orders", "trace_id": req.trace_id, "order_id": order_id}
        rec.update({k: v for k, v in fields.items() if v is not None})
        rec["time"] = _rfc3339(self.clock("orders", ns))
        rec["message"] = message
        self.log("orders", ns, _json(rec))

    def panic(self, ns: int) -> None:
        """net/http recovers the handler's panic and prints it with the standard logger (not logrus)."""
        rng = self.rng
        stamp = datetime.fromtimestamp(self.clock("payments", ns) // _S, UTC).strftime("%Y/%m/%d %H:%M:%S")

        def a() -> str:
            return f"0xc000{rng.randrange(0x10000, 0xFFFFF) << 4:06x}"

        go = "/usr/local/go/src"
        lines = [
            f"{stamp} http: panic serving 10.0.2.14:{rng.randrange(40000, 60000)}: runtime error: "
            "invalid memory address or nil pointer dereference",
            f"goroutine {rng.randrange(40000, 90000)} [running]:",
            "net/http.(*conn).serve.func1()",
            f"\t{go}/net/http/server.go:1868 +0xb9",
            "panic({0x9b2f40?, 0xf1e6a0?})",
            f"\t{go}/runtime/panic.go:920 +0x270",
            f"github.com/go-pg/pg/v10.(*Tx).ExecContext(0x0, {{0xb1c8e8, {a()}}}, {{0x9a11a0, {a()}}}, "
            f"{{{a()}, 0x3, 0x3}})",
            "\t/go/pkg/mod/github.com/go-pg/pg/v10@v10.11.1/tx.go:182 +0x4e",
            f"main.(*ChargeHandler).charge({a()}, {{0xb1c8e8, {a()}}}, {a()})",
            "\t/app/internal/payments/charge.go:87 +0x1f4",
            f"main.(*ChargeHandler).ServeHTTP({a()}, {{0xb21f58, {a()}}}, {a()})",
            "\t/app/internal/payments/charge.go:41 +0x2a5",
            "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp.(*middleware).serveHTTP"
            f"({a()}, {{0xb21a28, {a()}}}, {a()}, {{0xb14e40, {a()}}})",
            "\t/go/pkg/mod/go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp@v0.49.0/handler.go:225 "
            "+0x10a2",
            f"net/http.serverHandler.ServeHTTP({{{a()}?}}, {{0xb21a28?, {a()}?}}, 0x6?)",
            f"\t{go}/net/http/server.go:2938 +0x8e",
            f"net/http.(*conn).serve({a()}, {{0xb22d48, {a()}}})",
            f"\t{go}/net/http/server.go:2009 +0x5f4",
            "created by net/http.(*Server).Serve in goroutine 1",
            f"\t{go}/net/http/server.go:3086 +0x5cb",
        ]
        self.log("payments", ns, "\n".join(lines))

    def reorder_notices(self) -> None:
        """inventory's background job: ``INFO+2`` notices (slog.LevelInfo+2), no trace id."""
        rng = self.rng
        t = _T0 + rng.randrange(60, 200) * _S
        while t < _T_END:
            ns = t + rng.randrange(0, _S)
            rec = {
                "time": _rfc3339_ms(self.clock("inventory", ns)),
                "level": "INFO+2",
                "source": {"function": "main.(*restocker).run", "file": "/app/restock.go", "line": 112},
                "msg": "stock below reorder threshold",
                "sku": rng.choice(_SKUS),
                "remaining": rng.randrange(0, 9),
                "threshold": 10,
            }
            self.log("inventory", ns, _json(rec))
            t += rng.randrange(150, 330) * _S

    def pool_stats(self) -> None:
        """go-pg ``PoolStats`` every 30 s (cumulative hits, misses, timeouts) and the job's start and stop."""
        rng = self.rng
        events = sorted(self.attempts)
        hits = misses = timeouts = 0
        i = 0
        t = _T0 + 30 * _S
        while t < _T_END:
            while i < len(events) and events[i][0] < t:
                kind = events[i][1]
                if kind in ("pool", "panic"):
                    timeouts += 1
                elif kind in ("ok", "slow", "timeout", "canceled"):
                    hits += 1
                    misses += rng.random() < 0.02
                i += 1
            sev = self.severity(t)
            down = _REFUSED[0] <= t < _REFUSED[1] + 5 * _S
            total = rng.randrange(0, 3) if down else 20
            idle = 0 if down or sev > 0.25 else rng.randrange(3, 9) if sev else rng.randrange(12, 19)
            ns = t + rng.randrange(300_000, 2_000_000)
            self.log(
                "payments",
                ns,
                _logrus_text(
                    self.clock("payments", ns),
                    "info",
                    "pg pool stats",
                    {
                        "hits": hits,
                        "misses": misses,
                        "timeouts": timeouts,
                        "total_conns": total,
                        "idle_conns": idle,
                        "stale_conns": 0,
                    },
                ),
            )
            t += 30 * _S
        ns = _T_INC + 1_204_117
        self.log(
            "payments",
            ns,
            _logrus_text(
                self.clock("payments", ns),
                "info",
                "reconciliation job started",
                {"job": "ledger-reconcile", "workers": 16, "window": "24h"},
            ),
        )
        ns = _T_JOB_END + 388_412
        self.log(
            "payments",
            ns,
            _logrus_text(
                self.clock("payments", ns),
                "warning",
                "reconciliation job cancelled",
                {"error": "context canceled", "job": "ledger-reconcile", "rows": 1_284_311},
            ),
        )
