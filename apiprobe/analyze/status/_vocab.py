"""Vocabularies of HTTP status misuse: kinds, recommended statuses, message patterns and attrs keys."""

from __future__ import annotations

import re

__all__ = ["MISUSE_KINDS", "RECOMMENDED_STATUS"]


#: Vocabulary of the ``misuse`` column, in order of precedence (a row gets the first that applies).
MISUSE_KINDS: dict[str, str] = {
    "ok_error_body": "a 2xx answer whose body reports an error",
    "notfound_business_rule": "a 404 for a business-rule rejection, not a missing resource",
    "server_error_validation": "a 500 for a request the server rejected as invalid",
    "forbidden_unauthenticated": "a 403 for a caller that is not authenticated",
    "unauthorized_forbidden": "a 401 for a caller that is authenticated but not allowed",
    "server_error_low_level": "a 5xx logged at info or debug level",
    "client_4xx_storm": "one client produces most of a route's 4xx answers",
}

#: The status each misuse kind should have answered (``ok_error_body`` depends on the error; see
#: :func:`classify_status_misuse`); None where the status is right but something else is wrong.
RECOMMENDED_STATUS: dict[str, int | None] = {
    "ok_error_body": 422,
    "notfound_business_rule": 422,
    "server_error_validation": 400,
    "forbidden_unauthenticated": 401,
    "unauthorized_forbidden": 403,
    "server_error_low_level": None,
    "client_4xx_storm": None,
}

_SEVERITY: dict[str, str] = {
    "ok_error_body": "warning",
    "notfound_business_rule": "warning",
    "server_error_validation": "warning",
    "forbidden_unauthenticated": "warning",
    "unauthorized_forbidden": "info",
    "server_error_low_level": "warning",
    "client_4xx_storm": "warning",
}

# --------------------------------------------------------------------------- message vocabularies
# Matched against lower-cased text (message, error and body of one request).

_UNAUTH = re.compile(
    r"unauthenticated|not authenticated|authentication (?:is )?(?:required|failed|missing)|"
    r"log ?in (?:is )?required|please (?:log|sign) ?in|not (?:logged|signed) in|sign[- ]?in required|"
    r"(?:missing|no|empty|expired|bad|malformed) (?:auth(?:orization)?|bearer|access|jwt|session|"
    r"api[ _-]?key|credentials?|token)(?: token| header| key)?\b|"
    r"(?:token|jwt|session|credentials?) (?:is |has |have )?(?:expired|missing|revoked|required|not provided)|"
    r"invalid (?:(?:auth(?:orization)?|bearer|access|jwt|session|api[ _-]?key) )?token|(?:token|jwt) (?:is )?invalid|"
    r"missing authorization|no authorization|www-authenticate|"
    r"未登录|请登录|请先登录|登录(?:已)?(?:过期|失效|超时)|(?:token|令牌|会话)(?:已)?(?:过期|失效|无效)|"
    r"未认证|认证失败|身份验证失败|未授权访问"
)
_CSRF = re.compile(r"csrf|xsrf")
_FORBIDDEN = re.compile(
    r"forbidden|permission|not permitted|access ?(?:is )?denied|insufficient (?:privileges?|permissions?|"
    r"scopes?|rights|role)|not authori[sz]ed to|not allowed to (?:access|view|read|write|delete|modify)|"
    r"(?:role|scope|user) \S+ (?:cannot|can't|may not|is not allowed)|"
    r"无权限?|没有权限|权限不足|禁止访问|拒绝访问|无访问权限"
)
_NOT_FOUND = re.compile(
    r"not found|no such|does not exist|doesn't exist|unknown (?:user|id|resource|order|account|item|"
    r"product|route|path|endpoint)|不存在|未找到|找不到"
)
_CONFLICT = re.compile(
    r"already (?:exists?|used|paid|registered|redeemed|taken|cancel+ed|processed|in use|submitted)|"
    r"duplicate|conflict|invalid state|state transition|version mismatch|concurrent(?:ly)? modif|"
    r"已存在|重复|已被使用|状态不正确|状态错误"
)
_BUSINESS = re.compile(
    r"insufficient (?:balance|funds|credit|stock|inventory|quota)|(?:balance|funds|credit) (?:is )?"
    r"(?:too low|not enough|insufficient)|not enough|out of stock|sold out|"
    r"(?:limit|quota) (?:exceeded|reached)|exceed(?:s|ed)? (?:the )?(?:daily |monthly )?(?:limit|quota|maximum)|"
    r"not allowed|not eligible|(?:coupon|voucher|offer|promotion|promo code) (?:has |is )?(?:expired|invalid)|"
    r"(?:order|account|card|user|wallet) (?:is |has been )?(?:closed|locked|frozen|suspended|disabled|blocked)|"
    r"cannot (?:be )?(?:cancel|refund|modify|change|transfer|withdraw)|business rule|"
    r"余额不足|库存不足|已售罄|超过?(?:限额|上限|限制)|不允许|不符合|已过期|已关闭|已锁定|已冻结"
)
_VALIDATION = re.compile(
    r"invalid|validation|validate|\brequired\b|must (?:be|have|contain|not|match|include)|malformed|"
    r"cannot unmarshal|unmarshal|\bparse|\bparsing|bad request|missing (?:field|param|parameter|argument|value)|"
    r"unexpected end of json|invalid character|too (?:long|short|large|small)|out of range|wrong format|"
    r"format error|not a valid|参数|校验|验证失败|格式|必填|不能为空|不合法|非法|无效"
)
#: Genuine server faults whose wording overlaps the validation vocabulary.
_SERVER_FAULT = re.compile(
    r"invalid memory address|nil pointer|panic|runtime error|index out of range \[|invalid connection|"
    r"bad connection|driver: |sql: |database|redis|dial tcp|connection refused|deadline exceeded|timeout|"
    r"upstream|downstream|i/o |broken pipe|unexpected eof"
)
_RATE = re.compile(r"rate limit|too many requests|throttl|slow down|请求过于频繁|频率|限流")
_UNAVAILABLE = re.compile(r"unavailable|overloaded|busy|maintenance|系统繁忙|服务繁忙|维护")
_INTERNAL = re.compile(r"internal|exception|panic|nil pointer|database|timeout|系统错误|服务器(?:内部)?错误|内部错误")

_ENVELOPE_KEYS = ("code", "errcode", "err_code", "error_code", "errno", "errorcode", "retcode", "success", "ok")
_SUCCESS_CODES = frozenset({"0", "ok", "success", "succeeded", "successful", "00000", "000000", "done"})
_CODE_KEYS = ("code", "errcode", "err_code", "error_code", "errno", "errorcode", "ret", "retcode")
_MESSAGE_KEYS = (
    "message",
    "msg",
    "errmsg",
    "error_msg",
    "error_message",
    "error_description",
    "detail",
    "details",
    "reason",
    "description",
    "title",
)
_FAIL_STATUS = frozenset({"error", "fail", "failed", "failure", "err"})
_ENVELOPE_HINT = re.compile(
    r'"(?:error|errors|success|ok|status|code|errcode|err_code|error_code|errno|errorcode|ret|retcode)"\s*:'
)

# attrs keys looked up (case-insensitive; "a.b" also reads {"a": {"b": ...}}), first found wins
_ROUTE_KEYS = (
    "route",
    "http.route",
    "path",
    "url.path",
    "uri",
    "request_uri",
    "http.target",
    "url",
    "http.url",
    "endpoint",
)
_METHOD_KEYS = ("method", "http.method", "http.request.method", "request_method", "verb")
_STATUS_KEYS = (
    "status",
    "status_code",
    "statuscode",
    "http.status_code",
    "http.response.status_code",
    "http_status",
    "resp_status",
    "http.status",
    "response.status",
    "response.status_code",
    "http.response.status",
    "resp.status",
)
_BODY_KEYS = (
    "body",
    "response",
    "response_body",
    "resp_body",
    "resp",
    "reply",
    "payload",
    "response_payload",
    "error_body",
    "response.body",
    "http.response.body",
    "resp.body",
    "http.body",
)
_CLIENT_KEYS: dict[str, tuple[str, ...]] = {
    "client id": (
        "client_id",
        "clientid",
        "client",
        "app_id",
        "appid",
        "consumer",
        "api_key_id",
        "tenant_id",
        "user_id",
        "userid",
        "uid",
    ),
    "IP": (
        "client_ip",
        "clientip",
        "remote_ip",
        "remote_addr",
        "remoteaddr",
        "x_forwarded_for",
        "x-forwarded-for",
        "client.address",
        "source.address",
        "peer.address",
        "peer",
        "src_ip",
        "ip",
    ),
    "user agent": ("user_agent", "useragent", "http.user_agent", "user_agent.original", "ua", "agent"),
}
_AUTH_HEADERS = ("authorization", "cookie", "x-api-key", "api-key", "x-auth-token", "proxy-authorization")

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT")
_METHOD_PREFIX = re.compile(rf"^({'|'.join(_METHODS)})\s+(\S+)", re.IGNORECASE)
_ID_SEGMENT = re.compile(
    r"^(?:\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|(?=[0-9a-f]*\d)[0-9a-f]{16,}|"
    r"(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{20,})$",
    re.IGNORECASE,
)
