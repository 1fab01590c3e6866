"""Per-request classification of status misuse: :func:`classify_status_misuse` and :func:`status_table`."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from typing import Any, cast

import numpy as np
import pandas as pd

from apiprobe.analyze.status._envelope import _body_error, _status_for_error
from apiprobe.analyze.status._view import _view, request_rows
from apiprobe.analyze.status._vocab import (
    _BUSINESS,
    _CLIENT_KEYS,
    _CONFLICT,
    _CSRF,
    _ENVELOPE_HINT,
    _FORBIDDEN,
    _SERVER_FAULT,
    _UNAUTH,
    _VALIDATION,
    MISUSE_KINDS,
)

__all__ = ["classify_status_misuse", "status_table"]

# --------------------------------------------------------------------------- classification


def _masks(
    view: pd.DataFrame, *, storm_min_4xx: int, storm_share: float
) -> tuple[dict[str, pd.Series], pd.Series, pd.Series, dict[str, tuple[str, str, int, int]]]:
    """Per-kind boolean masks, recommended status per row, error message per row, storms per subject.

    Storms map subject → (client dimension, client value, its 4xx count, the route's 4xx count).
    Message patterns are only matched on the rows whose status they concern.
    """
    status = view["status"]
    idx = view.index
    false = pd.Series(False, index=idx)
    recommended = pd.Series([None] * len(view), index=idx, dtype=object)
    message = pd.Series([None] * len(view), index=idx, dtype=object)

    concerned = status.isin([401, 403, 404, 500])
    sub = view[concerned]
    text = (sub["msg"] + " | " + sub["error"] + " | " + sub["body"]).str.lower()

    def has(pattern: re.Pattern[str], codes: Sequence[int]) -> pd.Series:
        """Rows with a status in ``codes`` whose text matches ``pattern``."""
        rows = text[sub["status"].isin(codes)]
        if rows.empty:
            return false
        return rows.str.contains(pattern, regex=True).reindex(idx, fill_value=False).astype(bool)

    # 2xx with an error body (204/205 have no body)
    ok_rows = (status >= 200) & (status <= 299) & ~status.isin([204, 205])
    ok_mask = false.copy()
    if ok_rows.any():
        bodies = view["body"]
        envelopes = view["envelope"]
        with_body = ok_rows & (bodies != "")
        candidates = with_body.copy()
        if with_body.any():
            candidates[with_body] = bodies[with_body].str.contains(_ENVELOPE_HINT, regex=True)
        candidates |= ok_rows & envelopes.notna()
        for i in idx[candidates.to_numpy(dtype=bool)]:
            body_i = str(bodies.at[i])
            envelope_i: Any = envelopes.at[i]
            found = _body_error(body_i, envelope_i)
            if found is not None:
                ok_mask.at[i] = True
                message.at[i] = found
                recommended.at[i] = _status_for_error(f"{found} {body_i}")
        logged = ok_rows & ~ok_mask & (view["error"] != "")  # an error logged on a request answered 2xx
        for i in idx[logged.to_numpy(dtype=bool)]:
            error_i = str(view.at[i, "error"])
            ok_mask.at[i] = True
            message.at[i] = error_i
            recommended.at[i] = _status_for_error(error_i)

    csrf = has(_CSRF, [403])
    unauth = has(_UNAUTH, [401, 403, 500]) & ~csrf
    forbidden = has(_FORBIDDEN, [401, 403])
    conflict = has(_CONFLICT, [404])
    nf_mask = (status == 404) & (has(_BUSINESS, [404]) | conflict)
    val_mask = (status == 500) & has(_VALIDATION, [500]) & ~has(_SERVER_FAULT, [500]) & ~unauth
    no_creds = view["has_auth"].map(lambda v: v is False).astype(bool)
    forb_mask = (status == 403) & (unauth | (no_creds & ~forbidden & ~csrf))
    inv_mask = (status == 401) & forbidden & ~unauth
    low_mask = (status >= 500) & view["level"].isin(["trace", "debug", "info"])

    recommended = recommended.where(~nf_mask, np.where(conflict, 409, 422))
    recommended = recommended.where(~val_mask, 400)
    recommended = recommended.where(~forb_mask, 401)
    recommended = recommended.where(~inv_mask, 403)

    # 4xx storms: one client value owning most 4xx of a route
    storm_mask = false.copy()
    storms: dict[str, tuple[str, str, int, int]] = {}
    is_4xx = (status >= 400) & (status <= 499)
    dims = [d for d in _CLIENT_KEYS if view[d].notna().any()]
    if dims and is_4xx.any():
        n4_by_subject = view.loc[is_4xx, "subject"].value_counts()
        busy = n4_by_subject[n4_by_subject >= storm_min_4xx].index
        if len(busy):
            callers = view[view["subject"].isin(busy)]
            distinct = {dim: callers.groupby("subject")[dim].nunique(dropna=True) for dim in dims}
            for subject, group in callers[is_4xx[callers.index]].groupby("subject", sort=True):
                n4 = len(group)
                best: tuple[float, str, str, int] | None = None
                for dim in dims:
                    if distinct[dim].get(subject, 0) < 2:
                        continue  # one value for every caller (a proxy, one load balancer): says nothing
                    counts = group[dim].value_counts(dropna=True)
                    if counts.empty:
                        continue
                    top, top_n = str(counts.index[0]), int(counts.iloc[0])
                    share = top_n / n4
                    if share >= storm_share and top_n >= storm_min_4xx and (best is None or share > best[0]):
                        best = (share, dim, top, top_n)
                if best is not None:
                    _, dim, top, top_n = best
                    storms[str(subject)] = (dim, top, top_n, n4)
                    hit = group.index[group[dim].astype(object) == top]
                    storm_mask[hit] = True

    masks = {
        "ok_error_body": ok_mask,
        "notfound_business_rule": nf_mask,
        "server_error_validation": val_mask,
        "forbidden_unauthenticated": forb_mask,
        "unauthorized_forbidden": inv_mask,
        "server_error_low_level": low_mask,
        "client_4xx_storm": storm_mask,
    }
    return {k: v.fillna(False).astype(bool) for k, v in masks.items()}, recommended, message, storms


def _labels(masks: Mapping[str, pd.Series], index: pd.Index) -> pd.Series:
    label = pd.Series([None] * len(index), index=index, dtype=object)
    for kind in reversed(list(MISUSE_KINDS)):  # the first kind in precedence order wins
        label = label.where(~masks[kind], kind)
    return label


def classify_status_misuse(
    data: pd.DataFrame | str | os.PathLike[str] | Any,
    *,
    storm_min_4xx: int = 20,
    storm_share: float = 0.5,
    normalize_routes: bool = True,
) -> pd.DataFrame:
    """Label every request row with the status-code misuse it shows, if any.

    Parameters
    ----------
    data : pandas.DataFrame, evidence store path or dask DataFrame
        An events, probes (with ``body``) or HAR table; see :mod:`apiprobe.analyze.status`.
        From a store (:func:`~apiprobe.convert_logs`) or a dask DataFrame only
        the lines that carry a status are read (the result then has those rows only).
    storm_min_4xx : int, default 20
        Fewest 4xx answers from one client on one route that count as a storm.
    storm_share : float, default 0.5
        Smallest share of a route's 4xx answers one client must own for a storm.
    normalize_routes : bool, default True
        Fold id-like path segments into ``{id}``.

    Returns
    -------
    pandas.DataFrame
        A copy of ``data`` with three more columns: ``subject`` (the route
        group, ``"METHOD route (service)"``; NA for rows without a status),
        ``misuse`` (a key of :data:`MISUSE_KINDS`, the first that applies;
        NA when the status is used well) and ``recommended_status`` (Int64:
        the status to answer instead; NA when the status itself is right).
    """
    data = request_rows(data)
    view = _view(data, normalize_routes)
    masks, recommended, _, _ = _masks(view, storm_min_4xx=storm_min_4xx, storm_share=storm_share)
    label = _labels(masks, view.index)
    rec = recommended.where(label.notna(), None)
    rec = rec.where(~label.isin(["server_error_low_level", "client_4xx_storm"]), None)
    positions = pd.RangeIndex(len(data))
    out = data.copy()
    out["subject"] = view["subject"].reindex(positions).astype("string").array
    out["misuse"] = label.reindex(positions).astype("string").array
    out["recommended_status"] = pd.to_numeric(rec.reindex(positions), errors="coerce").astype("Int64").array
    return out


def status_table(
    data: pd.DataFrame | str | os.PathLike[str] | Any,
    *,
    storm_min_4xx: int = 20,
    storm_share: float = 0.5,
    normalize_routes: bool = True,
) -> pd.DataFrame:
    """Status codes per route, with the misuse each (route, status) pair shows.

    Parameters
    ----------
    data : pandas.DataFrame, evidence store path or dask DataFrame
        An events, probes (with ``body``) or HAR table; of a store or a dask
        DataFrame only the lines that carry a status are read.
    storm_min_4xx, storm_share, normalize_routes
        As for :func:`classify_status_misuse`.

    Returns
    -------
    pandas.DataFrame
        Each row is one (route group, status code), sorted by subject, then status:

        ============================  ===========================================================
        ``service``                   string, the service that answered (probes: the host)
        ``method``                    string, HTTP method
        ``route``                     string, route template (id-like segments folded to ``{id}``)
        ``subject``                   string, ``"METHOD route (service)"``
        ``status``                    Int64, HTTP status code
        ``status_class``              string, ``"2xx"`` … ``"5xx"``
        ``count``                     int64, requests with this status on the route
        ``share``                     float64, of the route's requests, 0–1
        ``misuse``                    string, the most frequent misuse kind among them; NA when none
        ``misuse_count``              int64, requests with that misuse
        ``recommended_status``        Int64, the status to answer instead; NA when the status is right
        ============================  ===========================================================
    """
    data = request_rows(data)
    view = _view(data, normalize_routes)
    columns = [
        "service",
        "method",
        "route",
        "subject",
        "status",
        "status_class",
        "count",
        "share",
        "misuse",
        "misuse_count",
        "recommended_status",
    ]
    if view.empty:
        return pd.DataFrame(
            {
                c: pd.Series(dtype=d)
                for c, d in zip(
                    columns,
                    [
                        "string",
                        "string",
                        "string",
                        "string",
                        "Int64",
                        "string",
                        "int64",
                        "float64",
                        "string",
                        "int64",
                        "Int64",
                    ],
                    strict=True,
                )
            }
        )
    masks, recommended, _, _ = _masks(view, storm_min_4xx=storm_min_4xx, storm_share=storm_share)
    view = view.assign(misuse=_labels(masks, view.index), rec=recommended)
    view.loc[view["misuse"].isin(["server_error_low_level", "client_4xx_storm"]), "rec"] = None
    rows = []
    totals = view.groupby("subject", sort=False).size()
    for key, group in view.groupby(["subject", "status"], sort=True):
        subject, status_any = key
        subject, status = str(subject), int(cast(Any, status_any))
        first = group.iloc[0]
        kinds = group["misuse"].dropna()
        kind = kinds.value_counts().index[0] if len(kinds) else None
        recs = group.loc[group["misuse"] == kind, "rec"].dropna() if kind else pd.Series(dtype=object)
        rows.append(
            {
                "service": first["service"],
                "method": first["method"],
                "route": first["route"],
                "subject": subject,
                "status": status,
                "status_class": f"{status // 100}xx",
                "count": len(group),
                "share": len(group) / int(totals[subject]),
                "misuse": kind,
                "misuse_count": int((group["misuse"] == kind).sum()) if kind else 0,
                "recommended_status": int(recs.value_counts().index[0]) if len(recs) else None,
            }
        )
    out = pd.DataFrame(rows, columns=columns)
    dtypes = {
        "service": "string",
        "method": "string",
        "route": "string",
        "subject": "string",
        "status": "Int64",
        "status_class": "string",
        "count": "int64",
        "share": "float64",
        "misuse": "string",
        "misuse_count": "int64",
        "recommended_status": "Int64",
    }
    return out.astype(dtypes).reset_index(drop=True)
