"""The lab's /misuse/… routes over real sockets, and detect_status_misuse on what a probe saw."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import httpx
import pandas as pd

from apiprobe.analyze.status import classify_status_misuse, detect_status_misuse
from apiprobe.lab import FaultLab
from apiprobe.lab._http import MISUSE_BODIES
from apiprobe.probe import probe_http
from apiprobe.schema import validate

STATUS = {
    "ok-error": 200,
    "notfound-rule": 404,
    "500-validation": 500,
    "403-unauth": 403,
    "401-forbidden": 401,
    "right-422": 422,
}


def misuse_url(lab: FaultLab, name: str) -> str:
    """URL of ``/misuse/{name}`` on the lab's plain HTTP port."""
    parts = urlsplit(lab.url("ok"))
    return urlunsplit((parts.scheme, parts.netloc, f"/misuse/{name}", "", ""))


def test_misuse_routes_answer_as_documented(lab: FaultLab) -> None:
    with httpx.Client(trust_env=False, timeout=10) as client:
        for name, status in STATUS.items():
            response = client.get(misuse_url(lab, name))
            assert response.status_code == status, name
            assert response.headers["content-type"] == "application/json"
            assert response.json() == MISUSE_BODIES[name], name
        authorized = client.get(misuse_url(lab, "403-unauth"), headers={"Authorization": "Bearer t0ken-123"})
        assert authorized.status_code == 200 and authorized.json()["ok"] is True
        head = client.head(misuse_url(lab, "ok-error"))
        assert head.status_code == 200 and head.content == b""
        index = client.get(lab.url("ok").replace("/ok", "/")).json()
        assert {f"/misuse/{n}" for n in STATUS} <= set(index["routes"])


def test_probe_then_detect(lab: FaultLab) -> None:
    urls = [misuse_url(lab, n) for n in STATUS] + [lab.url("ok"), lab.url("status", code=404)]
    probes = probe_http(urls, count=2, interval=0, body_limit=4096, progress=False)
    validate(probes, "probes")
    assert probes["error_kind"].isna().all()
    assert (probes["body"].str.len() > 0).all()
    findings = detect_status_misuse(probes)
    validate(findings, "findings")
    host, port = lab.address("ok")
    service = f"({host}:{port})"
    got = {
        s.removesuffix(f" {service}"): (m, v)
        for s, m, v in zip(findings["subject"], findings["metric"], findings["value"], strict=True)
    }
    assert got == {
        "GET /misuse/ok-error": ("share of 2xx answers with an error body", 1.0),
        "GET /misuse/notfound-rule": ("share of 404 answers for a business rule", 1.0),
        "GET /misuse/500-validation": ("share of 500 answers for invalid requests", 1.0),
        "GET /misuse/403-unauth": ("share of 403 answers to unauthenticated callers", 1.0),
        "GET /misuse/401-forbidden": ("share of 401 answers to callers lacking permission", 1.0),
    }
    ok_error = findings[findings["subject"] == f"GET /misuse/ok-error {service}"].iloc[0]
    assert ok_error["evidence"].startswith("2 of 2 2xx answers")
    assert "insufficient balance" in ok_error["evidence"]
    assert "422 Unprocessable Entity" in ok_error["recommendation"]
    labelled = classify_status_misuse(probes)
    by_path = dict(zip(probes["url"].map(lambda u: urlsplit(u).path), labelled["recommended_status"], strict=True))
    assert by_path["/misuse/ok-error"] == 422 and by_path["/misuse/notfound-rule"] == 422
    assert by_path["/misuse/500-validation"] == 400 and by_path["/misuse/403-unauth"] == 401
    assert by_path["/misuse/401-forbidden"] == 403
    assert pd.isna(by_path["/misuse/right-422"]) and pd.isna(by_path["/ok"]) and pd.isna(by_path["/status/404"])


def test_authenticated_probe_is_not_flagged(lab: FaultLab) -> None:
    probes = probe_http(
        misuse_url(lab, "403-unauth"), headers={"Authorization": "Bearer t0ken-123"}, body_limit=4096, progress=False
    )
    assert probes["status"].tolist() == [200]
    assert detect_status_misuse(probes).empty
