"""TLS probe: the certificate chain as served, checked per trust store, explained the way Go fails.

:func:`probe_tls` connects (DNS, TCP and the TLS handshake timed separately),
captures the chain exactly as the server sent it *with verification off*, and
only then verifies it offline, so a broken chain is still described instead of
being lost in a handshake error. :func:`diagnose_chain` runs the same analysis
on PEM text, a PEM/DER file, or a pasted ``openssl s_client -showcerts`` output
(a postmortem: pass ``at=`` to evaluate expiry at the time of the incident).

Every chain is checked against each trust store (``certifi``, ``system`` and
an optional CA file). :mod:`cryptography`'s path validator gives the final
yes/no (check ``path_validation``); explicit checks name the defect, because
that validator's errors are coarse and it accepts a misordered chain:

======================  ========  ================================================================
check                   severity  what fails it
======================  ========  ================================================================
connect                 critical  DNS failure, refused or timed-out TCP connect (probe only)
handshake               critical  TLS handshake failure: not TLS, no shared cipher, timeout (probe)
protocol_version        critical  TLS older than 1.2 (Go's default minimum) (probe only)
trust_store             warning   the trust store itself is missing or unreadable
expired                 critical  a certificate of the path is past notAfter
not_yet_valid           critical  a certificate of the path is before notBefore
expiring_soon           warn/info a certificate expires within 30 (warning) or 60 (info) days
hostname_mismatch       critical  the leaf's SANs do not cover the name (IP SANs for IP targets)
missing_intermediate    critical  the leaf's issuer is neither sent nor in the store
self_signed             critical  the leaf signed itself and is not in the store
untrusted_root          critical  the chain leads to a root that is not in the store
chain_order             warning   the sent certificates are not leaf → issuer → its issuer
root_sent               info      the server sends the (trusted) root: needless bytes
extra_certs             warning   sent certificates that are not part of the path
weak_key                warning   RSA/DSA key under 2048 bits, EC under 224 bits
weak_signature          critical  SHA-1 or MD5 signature on a sent certificate (Go refuses them)
leaf_is_ca              warning   the leaf carries basicConstraints CA:TRUE
path_validation         crit/warn cryptography's verdict (warning when Go would still connect)
======================  ========  ================================================================

Each verdict row carries what a Go client (``crypto/tls`` + ``crypto/x509``,
Go 1.20+, Linux) logs for the defect — the string an engineer finds in the
service's logs — and what to change. Missing intermediate, self-signed leaf
and unknown root all read ``x509: certificate signed by unknown authority`` in
Go; the checks tell them apart.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import functools
import hashlib
import ipaddress
import os
import re
import socket
import ssl
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID, SignatureAlgorithmOID
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from apiprobe.errors import DataFormatError, InvalidTargetError
from apiprobe.probe._resolve import is_ip, parse_url
from apiprobe.schema import conform

__all__ = ["TLS_CHECKS", "TLSReport", "diagnose_chain", "probe_tls"]

#: Every check a verdict row can name, with what it looks at (table in the module docstring).
TLS_CHECKS: dict[str, str] = {
    "connect": "name resolution and TCP connect (probe only)",
    "handshake": "the TLS handshake itself (probe only)",
    "protocol_version": "negotiated TLS version is 1.2 or newer (probe only)",
    "trust_store": "the trust store could be read",
    "expired": "no certificate of the path is past notAfter",
    "not_yet_valid": "no certificate of the path is before notBefore",
    "expiring_soon": "no certificate of the path expires within 60 days",
    "hostname_mismatch": "the leaf's subjectAltName covers the requested name",
    "missing_intermediate": "the leaf's issuer is sent or in the trust store",
    "self_signed": "the leaf is issued by a CA, not by itself",
    "untrusted_root": "the chain ends at a root that is in the trust store",
    "chain_order": "the server sends leaf, its issuer, that one's issuer, ... in order",
    "root_sent": "the server does not send the root",
    "extra_certs": "every sent certificate belongs to the path",
    "weak_key": "keys of sent certificates are RSA >= 2048 or EC >= 224 bits",
    "weak_signature": "no sent certificate is signed with SHA-1 or MD5",
    "leaf_is_ca": "the leaf is not a CA certificate",
    "path_validation": "cryptography.x509.verification accepts the chain for this store and name",
}

_GO_TLS = "tls: failed to verify certificate: "
_GO_UNKNOWN = "x509: certificate signed by unknown authority"
_WARN_DAYS = 30.0
_INFO_DAYS = 60.0
_WEAK_HASHES = {"sha1": "SHA-1", "md5": "MD5", "md2": "MD2"}
#: Go's names (crypto/x509 SignatureAlgorithm.String) for the algorithms it refuses.
_GO_SIGNATURE_NAMES = {
    SignatureAlgorithmOID.RSA_WITH_SHA1: "SHA1-RSA",
    SignatureAlgorithmOID.RSA_WITH_MD5: "MD5-RSA",
    SignatureAlgorithmOID.ECDSA_WITH_SHA1: "ECDSA-SHA1",
    SignatureAlgorithmOID.DSA_WITH_SHA1: "DSA-SHA1",
}
#: Where Go looks for the system roots on Linux (crypto/x509/root_linux.go), after SSL_CERT_FILE.
_GO_CERT_FILES = (
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
)
_ENCODING_DER = 2  # _ssl.ENCODING_DER (X509_FILETYPE_ASN1)


# -- certificates -------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Cert:
    """One parsed certificate and the facts the checks need."""

    cert: x509.Certificate
    sha256: str
    subject: bytes
    issuer: bytes
    spki: bytes
    label: str
    go_name: str
    not_before: dt.datetime
    not_after: dt.datetime
    is_ca: bool
    self_signed: bool
    key_type: str
    key_bits: int | None
    signature_algorithm: str
    signature_hash: str | None
    dns_names: tuple[str, ...]
    ip_addresses: tuple[str, ...]
    has_san: bool
    aia: tuple[str, ...]

    @property
    def sans(self) -> tuple[str, ...]:
        return (*self.dns_names, *self.ip_addresses)


def _name_attr(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    attrs = name.get_attributes_for_oid(oid)
    if not attrs:
        return None
    value = attrs[0].value
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _signed_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    """Whether ``parent``'s key verifies ``child``'s signature (any hash, SHA-1 and MD5 included)."""
    try:
        key = parent.public_key()
        signature, data = child.signature, child.tbs_certificate_bytes
        if isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            key.verify(signature, data)
            return True
        digest = child.signature_hash_algorithm
        if digest is None:
            return False
        if isinstance(key, rsa.RSAPublicKey):
            pss = child.signature_algorithm_oid == SignatureAlgorithmOID.RSASSA_PSS
            params = child.signature_algorithm_parameters if pss else padding.PKCS1v15()
            if not isinstance(params, padding.PSS | padding.PKCS1v15):
                return False
            key.verify(signature, data, params, digest)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(digest))
        elif isinstance(key, dsa.DSAPublicKey):
            key.verify(signature, data, digest)
        else:
            return False
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False
    return True


def _key_facts(cert: x509.Certificate) -> tuple[str, int | None]:
    try:
        key = cert.public_key()
    except (UnsupportedAlgorithm, ValueError):
        return "unknown", None
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {key.curve.name}", key.curve.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    return type(key).__name__, None


def _info(cert: x509.Certificate) -> _Cert:
    """Collect the facts of one certificate (never raises on odd extensions)."""
    subject, issuer = cert.subject.public_bytes(), cert.issuer.public_bytes()
    cn = _name_attr(cert.subject, NameOID.COMMON_NAME)
    org = _name_attr(cert.subject, NameOID.ORGANIZATION_NAME)
    label = cn or cert.subject.rfc4514_string() or f"serial {cert.serial_number}"
    go_name = cn or org or f"serial:{cert.serial_number}"
    try:
        is_ca = bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except (x509.ExtensionNotFound, ValueError):
        is_ca = False
    dns: tuple[str, ...] = ()
    ips: tuple[str, ...] = ()
    has_san = False
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        has_san = True
        dns = tuple(san.get_values_for_type(x509.DNSName))
        ips = tuple(str(ip) for ip in san.get_values_for_type(x509.IPAddress))
    except (x509.ExtensionNotFound, ValueError):
        pass
    aia: tuple[str, ...] = ()
    try:
        access = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
        aia = tuple(
            str(d.access_location.value)
            for d in access
            if d.access_method == AuthorityInformationAccessOID.CA_ISSUERS
            and isinstance(d.access_location, x509.UniformResourceIdentifier)
        )
    except (x509.ExtensionNotFound, ValueError):
        pass
    try:
        digest = cert.signature_hash_algorithm
        hash_name: str | None = digest.name if digest is not None else None
    except UnsupportedAlgorithm:
        hash_name = None
    key_type, key_bits = _key_facts(cert)
    try:
        spki = cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    except (UnsupportedAlgorithm, ValueError):
        spki = b""
    oid = cert.signature_algorithm_oid
    return _Cert(
        cert=cert,
        sha256=hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest(),
        subject=subject,
        issuer=issuer,
        spki=spki,
        label=label,
        go_name=go_name,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        is_ca=is_ca,
        self_signed=subject == issuer and _signed_by(cert, cert),
        key_type=key_type,
        key_bits=key_bits,
        signature_algorithm=getattr(oid, "_name", None) or oid.dotted_string,
        signature_hash=hash_name,
        dns_names=dns,
        ip_addresses=ips,
        has_san=has_san,
        aia=aia,
    )


# -- reading PEM ----------------------------------------------------------------------------

_PEM_BLOCK = re.compile(
    r"-----BEGIN (?P<kind>(?:X509 |TRUSTED )?CERTIFICATE)-----(?P<body>.*?)-----END (?P=kind)-----", re.S
)
_PEM_BEGIN = re.compile(r"-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----")


def _first_der_element(der: bytes) -> bytes:
    """The first DER element of ``der`` (a TRUSTED CERTIFICATE appends OpenSSL trust settings)."""
    if len(der) < 2:
        return der
    length, start = der[1], 2
    if length & 0x80:
        n = length & 0x7F
        length, start = int.from_bytes(der[2 : 2 + n], "big"), 2 + n
    return der[: start + length]


def _parse_certificates(data: bytes | str, source: str) -> list[x509.Certificate]:
    """Every certificate in ``data``: PEM blocks among any other text, or one DER certificate.

    Raises
    ------
    DataFormatError
        Naming ``source`` and the block (number and line) that cannot be read,
        or saying that no certificate was found.
    """
    text = data if isinstance(data, str) else data.decode("latin-1")
    blocks = list(_PEM_BLOCK.finditer(text))
    begins = list(_PEM_BEGIN.finditer(text))
    if len(begins) != len(blocks):
        ends = {m.start() for m in blocks}
        orphan = next((b for b in begins if b.start() not in ends), begins[-1])
        line = text.count("\n", 0, orphan.start()) + 1
        raise DataFormatError(f"{source}: certificate block starting at line {line} has no matching END line")
    if not blocks:
        if isinstance(data, bytes) and data[:1] == b"\x30":
            try:
                return [x509.load_der_x509_certificate(data)]
            except ValueError as exc:
                raise DataFormatError(f"{source}: not a PEM file and not a DER certificate: {exc}") from exc
        raise DataFormatError(f"{source}: no PEM certificate block (-----BEGIN CERTIFICATE-----) found")
    certs: list[x509.Certificate] = []
    for number, match in enumerate(blocks, start=1):
        line = text.count("\n", 0, match.start()) + 1
        where = f"{source}: certificate block {number} (line {line})"
        body = re.sub(r"\s+", "", match.group("body"))
        try:
            der = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise DataFormatError(f"{where} is not valid base64: {exc}") from exc
        if match.group("kind") == "TRUSTED CERTIFICATE":
            der = _first_der_element(der)
        try:
            certs.append(x509.load_der_x509_certificate(der))
        except ValueError as exc:
            raise DataFormatError(f"{where} is not a valid X.509 certificate: {exc}") from exc
    return certs


def _read_chain(pem_or_path: str | bytes | os.PathLike[str]) -> tuple[list[x509.Certificate], str]:
    if isinstance(pem_or_path, bytes | bytearray | memoryview):
        data = bytes(pem_or_path)
        source = "<PEM bytes>" if b"-----BEGIN" in data else "<DER bytes>"
        return _parse_certificates(data, source), source
    if isinstance(pem_or_path, str) and ("-----BEGIN" in pem_or_path or "\n" in pem_or_path):
        return _parse_certificates(pem_or_path, "<PEM text>"), "<PEM text>"
    if isinstance(pem_or_path, str | os.PathLike):
        path = Path(pem_or_path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DataFormatError(f"{path}: cannot read the certificate file: {exc.strerror or exc}") from exc
        return _parse_certificates(data, str(path)), str(path)
    raise TypeError(f"expected PEM text, bytes or a path, not {type(pem_or_path).__name__}")


# -- trust stores ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _TrustStore:
    """One set of trusted roots, indexed for issuer lookups."""

    name: str
    source: str | None
    roots: tuple[x509.Certificate, ...] = ()
    problem: str | None = None
    by_subject: dict[bytes, list[x509.Certificate]] = field(default_factory=dict)
    fingerprints: frozenset[bytes] = frozenset()
    keys: frozenset[tuple[bytes, bytes]] = frozenset()
    verifier_store: Store | None = None

    def contains(self, cert: _Cert) -> bool:
        return bytes.fromhex(cert.sha256) in self.fingerprints or (cert.subject, cert.spki) in self.keys

    def issuers_of(self, cert: _Cert) -> list[x509.Certificate]:
        return [r for r in self.by_subject.get(cert.issuer, []) if _signed_by(cert.cert, r)]


def _bundle_certs(data: bytes, source: str, *, strict: bool) -> list[x509.Certificate]:
    with warnings.catch_warnings():
        # system bundles hold a few roots with non-positive serials: cryptography warns, and they are fine here
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        if strict:
            return _parse_certificates(data, source)
        try:
            return x509.load_pem_x509_certificates(data)
        except ValueError:  # one odd root must not hide the others: parse block by block
            out = []
            for match in _PEM_BLOCK.finditer(data.decode("latin-1")):
                with contextlib.suppress(ValueError, binascii.Error):
                    der = base64.b64decode(re.sub(r"\s+", "", match.group("body")))
                    out.append(x509.load_der_x509_certificate(_first_der_element(der)))
            return out


@functools.lru_cache(maxsize=16)
def _cached_store(name: str, path: str, mtime_ns: int, size: int, strict: bool) -> _TrustStore:
    data = Path(path).read_bytes()
    roots = tuple(_bundle_certs(data, path, strict=strict))
    if not roots:
        if strict:
            raise DataFormatError(f"{path}: no certificate in the CA file")
        return _TrustStore(name, path, problem=f"{path} holds no certificate")
    by_subject: dict[bytes, list[x509.Certificate]] = {}
    fingerprints, keys = set(), set()
    for root in roots:
        by_subject.setdefault(root.subject.public_bytes(), []).append(root)
        fingerprints.add(root.fingerprint(hashes.SHA256()))
        with contextlib.suppress(UnsupportedAlgorithm, ValueError):
            spki = root.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            keys.add((root.subject.public_bytes(), spki))
    try:
        verifier_store: Store | None = Store(list(roots))
    except ValueError:
        verifier_store = None
    return _TrustStore(name, path, roots, None, by_subject, frozenset(fingerprints), frozenset(keys), verifier_store)


def _file_store(name: str, path: str, *, strict: bool) -> _TrustStore:
    try:
        st = os.stat(path)
    except OSError as exc:
        if strict:
            raise DataFormatError(f"{path}: cannot read the CA file: {exc.strerror or exc}") from exc
        return _TrustStore(name, path, problem=f"cannot read {path}: {exc.strerror or exc}")
    try:
        return _cached_store(name, path, st.st_mtime_ns, st.st_size, strict)
    except OSError as exc:
        if strict:
            raise DataFormatError(f"{path}: cannot read the CA file: {exc.strerror or exc}") from exc
        return _TrustStore(name, path, problem=f"cannot read {path}: {exc.strerror or exc}")


def _system_ca_file() -> str | None:
    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, paths.openssl_cafile, *_GO_CERT_FILES):
        if candidate and os.path.isfile(candidate):
            return candidate
    return None


def _load_stores(stores: Sequence[str] | str, cafile: str | os.PathLike[str] | None) -> list[_TrustStore]:
    names = [stores] if isinstance(stores, str) else list(stores)
    out: list[_TrustStore] = []
    for name in names:
        if name == "certifi":
            import certifi

            out.append(_file_store("certifi", certifi.where(), strict=False))
        elif name == "system":
            path = _system_ca_file()
            if path is None:
                looked = ", ".join(("SSL_CERT_FILE", *_GO_CERT_FILES))
                out.append(_TrustStore("system", None, problem=f"no system CA file found (looked at {looked})"))
            else:
                out.append(_file_store("system", path, strict=False))
        else:
            raise InvalidTargetError(
                f"unknown trust store {name!r}: use 'certifi', 'system', or pass a CA file as cafile="
            )
    if cafile is not None:
        path = os.fspath(cafile)
        out.append(_file_store(Path(path).name, path, strict=True))
    if not out:
        raise InvalidTargetError("no trust store to check against: give stores= or cafile=")
    seen: set[str] = set()
    for store in out:
        if store.name in seen:
            raise InvalidTargetError(f"trust store {store.name!r} given twice")
        seen.add(store.name)
    return out


# -- time ----------------------------------------------------------------------------------


def _as_utc(at: dt.datetime | pd.Timestamp | str | None) -> dt.datetime:
    if at is None:
        return dt.datetime.now(dt.UTC).replace(microsecond=0)
    try:
        ts = pd.Timestamp(at)
    except (ValueError, TypeError) as exc:
        raise InvalidTargetError(f"at={at!r} is not a time: {exc}") from exc
    if pd.isna(ts):
        raise InvalidTargetError(f"at={at!r} is not a time")
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.to_pydatetime()


def _go_time(t: dt.datetime) -> str:
    """Go's ``time.RFC3339`` rendering of a UTC time (what x509 error messages print)."""
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _days_between(later: dt.datetime, earlier: dt.datetime) -> float:
    return (later - earlier).total_seconds() / 86400.0


def _ago(days: float) -> str:
    days = abs(days)
    if days < 1:
        hours = days * 24
        return f"{hours:.0f} hour{'s' if round(hours) != 1 else ''}"
    return f"{days:.0f} day{'s' if round(days) != 1 else ''}"


# -- hostnames (Go's crypto/x509 rules) -------------------------------------------------------


def _match_hostname(pattern: str, host: str) -> bool:
    pattern = pattern.lower()
    host = host.lower().rstrip(".")
    if not pattern or not host:
        return False
    pparts, hparts = pattern.split("."), host.split(".")
    if len(pparts) != len(hparts):
        return False
    return all((i == 0 and p == "*") or p == h for i, (p, h) in enumerate(zip(pparts, hparts, strict=True)))


def _hostname_error(leaf: _Cert, host: str) -> str | None:
    """None when ``host`` matches the leaf, else Go's HostnameError text."""
    bare = host.strip("[]")
    if is_ip(bare):
        want = ipaddress.ip_address(bare)
        if any(ipaddress.ip_address(ip) == want for ip in leaf.ip_addresses):
            return None
    elif any(_match_hostname(name, bare) for name in leaf.dns_names):
        return None
    cn = _name_attr(leaf.cert.subject, NameOID.COMMON_NAME)
    if not leaf.has_san and cn and _match_hostname(cn, bare):
        return "x509: certificate relies on legacy Common Name field, use SANs instead"
    if is_ip(bare):
        if not leaf.ip_addresses:
            return f"x509: cannot validate certificate for {bare} because it doesn't contain any IP SANs"
        valid = ", ".join(leaf.ip_addresses)
    else:
        valid = ", ".join(leaf.dns_names)
    if not valid:
        return f"x509: certificate is not valid for any names, but wanted to match {bare}"
    return f"x509: certificate is valid for {valid}, not {bare}"


# -- the path --------------------------------------------------------------------------------


@dataclass
class _Path:
    """The certification path found for one store: leaf first, anchor last when trusted."""

    certs: list[_Cert]
    sent: list[bool]  # per path element: taken from what the server sent
    end: str  # "trusted" | "self_signed_leaf" | "untrusted_root" | "missing_issuer"
    anchor: _Cert | None = None
    missing_for: _Cert | None = None
    wrong_signature: _Cert | None = None  # a sent cert with the issuer's name whose key does not verify


def _build_path(chain: list[_Cert], store: _TrustStore) -> _Path:
    """Walk from the leaf to a root, preferring store roots over sent certificates (as Go does)."""
    leaf = chain[0]
    path = _Path([leaf], [True], "missing_issuer")
    if store.contains(leaf):
        path.end, path.anchor = "trusted", leaf
        return path
    used = {0}
    current = leaf
    for _ in range(len(chain) + 1):
        if current.self_signed:
            path.end = "self_signed_leaf" if current is leaf else "untrusted_root"
            return path
        roots = store.issuers_of(current)
        if roots:
            anchor = _info(roots[0])
            path.certs.append(anchor)
            path.sent.append(False)
            path.end, path.anchor = "trusted", anchor
            return path
        named = [i for i in range(1, len(chain)) if i not in used and chain[i].subject == current.issuer]
        good = [i for i in named if _signed_by(current.cert, chain[i].cert)]
        if not good:
            path.missing_for = current
            if named:
                path.wrong_signature = chain[named[0]]
            return path
        used.add(good[0])
        nxt = chain[good[0]]
        path.certs.append(nxt)
        path.sent.append(True)
        if store.contains(nxt):
            path.end, path.anchor = "trusted", nxt
            return path
        current = nxt
    path.missing_for = current
    return path


# -- verdicts ------------------------------------------------------------------------------


def _row(
    check: str, ok: bool, detail: str, severity: str = "critical", go: str | None = None, rec: str | None = None
) -> dict[str, Any]:
    return {
        "check": check,
        "ok": ok,
        "severity": None if ok else severity,
        "detail": detail,
        "go_error": None if ok else go,
        "recommendation": None if ok else rec,
    }


def _validity_error(cert: _Cert, at: dt.datetime) -> str | None:
    if at < cert.not_before:
        return (
            f"x509: certificate has expired or is not yet valid: current time {_go_time(at)} "
            f"is before {_go_time(cert.not_before)}"
        )
    if at > cert.not_after:
        return (
            f"x509: certificate has expired or is not yet valid: current time {_go_time(at)} "
            f"is after {_go_time(cert.not_after)}"
        )
    return None


def _unknown_authority(hint: tuple[str, _Cert] | None) -> str:
    if hint is None:
        return _GO_TLS + _GO_UNKNOWN
    err, cert = hint
    return (
        f'{_GO_TLS}{_GO_UNKNOWN} (possibly because of "{err}" while trying to verify candidate '
        f'authority certificate "{cert.go_name}")'
    )


def _signature_failure(issuer: _Cert) -> str:
    """Go's error when ``issuer``'s key does not verify a signature (crypto/x509 checkSignature)."""
    key = issuer.key_type
    if key == "RSA":
        return "crypto/rsa: verification error"
    if key.startswith("EC"):
        return "x509: ECDSA verification failure"
    if key == "Ed25519":
        return "x509: Ed25519 verification failure"
    return "x509: signature verification failure"


def _chain_hint(path: _Path, at: dt.datetime) -> tuple[str, _Cert] | None:
    """The first candidate Go rejects while walking the path: (its error, the candidate)."""
    for i in range(1, len(path.certs)):
        child, candidate = path.certs[i - 1], path.certs[i]
        oid = child.cert.signature_algorithm_oid
        if not child.self_signed and oid in _GO_SIGNATURE_NAMES:
            return f"x509: cannot verify signature: insecure algorithm {_GO_SIGNATURE_NAMES[oid]}", candidate
        err = _validity_error(candidate, at)
        if err is not None:
            return err, candidate
    if path.wrong_signature is not None and path.missing_for is not None:
        return _signature_failure(path.wrong_signature), path.wrong_signature
    return None


def _go_view(
    chain: list[_Cert], path: _Path, hostname: str | None, at: dt.datetime
) -> tuple[str | None, str | None, str | None, str | None]:
    """What Go logs: (overall, leaf validity error, hostname error, chain error) — each None when fine."""
    leaf = chain[0]
    leaf_err = _validity_error(leaf, at)
    host_err = _hostname_error(leaf, hostname) if hostname else None
    hint = _chain_hint(path, at)
    trusted = path.end == "trusted" and (hint is None or path.anchor is leaf)
    chain_err = None if trusted else _unknown_authority(hint)
    leaf_go = _GO_TLS + leaf_err if leaf_err else None
    host_go = _GO_TLS + host_err if host_err else None
    overall = leaf_go or host_go or chain_err
    return overall, leaf_go, host_go, chain_err


def _cert_ref(cert: _Cert, chain: list[_Cert]) -> str:
    for i, c in enumerate(chain):
        if c is cert:
            return "the leaf" if i == 0 else f"certificate {i} ({cert.label!r})"
    return f"the trust-store root {cert.label!r}"


def _store_rows(
    chain: list[_Cert], store: _TrustStore, hostname: str | None, at: dt.datetime, known_roots: dict[bytes, list[str]]
) -> tuple[list[dict[str, Any]], str | None]:
    """Every check for one store: the rows and Go's overall error."""
    leaf = chain[0]
    path = _build_path(chain, store)
    go_overall, leaf_go, host_go, chain_go = _go_view(chain, path, hostname, at)
    rows: list[dict[str, Any]] = []

    # validity of every certificate on the path (sent ones and the store anchor)
    expired = [c for c in path.certs if at > c.not_after]
    if expired:
        first = expired[0]
        parts = [
            f"{_cert_ref(c, chain)} expired {_ago(_days_between(at, c.not_after))} ago "
            f"(notAfter {_go_time(c.not_after)})"
            for c in expired
        ]
        if first is leaf:
            rec = (
                "renew the certificate and make sure the server loads the new file (reload or restart it); "
                "automate renewal (ACME, cert-manager) and alert 30 days before expiry"
            )
        elif first in path.certs and not path.sent[path.certs.index(first)]:
            rec = (
                "update the client's trust store (ca-certificates, certifi): the root it trusts has expired; "
                "the server may need a chain to a current root"
            )
        else:
            rec = "serve the current intermediate of your CA: the chain file on the server holds an expired one"
        rows.append(
            _row(
                "expired",
                False,
                "; ".join(parts) + f", evaluated at {_go_time(at)}",
                go=leaf_go if first is leaf and leaf_go else chain_go,
                rec=rec,
            )
        )
    else:
        rows.append(_row("expired", True, f"no certificate of the path has expired at {_go_time(at)}"))
    early = [c for c in path.certs if at < c.not_before]
    if early:
        first = early[0]
        parts = [
            f"{_cert_ref(c, chain)} is valid only from {_go_time(c.not_before)} "
            f"(in {_ago(_days_between(c.not_before, at))})"
            for c in early
        ]
        rows.append(
            _row(
                "not_yet_valid",
                False,
                "; ".join(parts) + f", evaluated at {_go_time(at)}",
                go=leaf_go if first is leaf and leaf_go else chain_go,
                rec=(
                    "check the client's clock first (NTP): a clock days behind makes fresh certificates "
                    "'not yet valid'; if the certificate really starts later, serve the previous one until then"
                ),
            )
        )
    else:
        rows.append(_row("not_yet_valid", True, "every certificate of the path has started its validity"))
    current = [c for c in path.certs if c.not_before <= at <= c.not_after]
    if current:
        soonest = min(current, key=lambda c: c.not_after)
        days = _days_between(soonest.not_after, at)
        what = f"{_cert_ref(soonest, chain)} expires in {days:.1f} days ({_go_time(soonest.not_after)})"
        if days < _INFO_DAYS:
            severity = "warning" if days < _WARN_DAYS else "info"
            rows.append(
                _row(
                    "expiring_soon",
                    False,
                    what,
                    severity,
                    rec=f"renew before {soonest.not_after:%Y-%m-%d} and deploy the new certificate; "
                    "alert at 30 days so a failed automatic renewal is noticed in time",
                )
            )
        else:
            rows.append(_row("expiring_soon", True, f"next expiry: {what}"))
    else:
        rows.append(_row("expiring_soon", True, "no currently valid certificate on the path to look at"))

    # the name
    if not hostname:
        rows.append(_row("hostname_mismatch", True, "not checked: no hostname given"))
    elif host_go is None:
        rows.append(_row("hostname_mismatch", True, f"{hostname} matches the leaf's names ({', '.join(leaf.sans)})"))
    else:
        names = ", ".join(leaf.sans) or "no subjectAltName at all"
        ip_hint = (
            (
                " For an IP target: add an IP SAN, or connect by a name the certificate covers "
                "(Go: set tls.Config.ServerName)."
            )
            if is_ip(hostname.strip("[]"))
            else ""
        )
        rows.append(
            _row(
                "hostname_mismatch",
                False,
                f"the leaf is valid for {names}, not for {hostname} (Go ignores the Common Name)",
                go=host_go,
                rec=(
                    f"reissue the certificate with {hostname} in its subjectAltName, or have the client use a name "
                    f"it covers.{ip_hint}"
                ),
            )
        )

    # the chain: which of missing intermediate / self-signed / untrusted root
    defect, explain, rec_chain = _chain_defect(chain, path, store, known_roots)
    rows.append(
        _row(
            "missing_intermediate",
            defect != "missing_intermediate",
            explain if defect == "missing_intermediate" else _chain_ok_detail(path, store),
            go=chain_go,
            rec=rec_chain,
        )
    )
    rows.append(
        _row(
            "self_signed",
            defect != "self_signed",
            explain if defect == "self_signed" else "the leaf is issued by a CA",
            go=chain_go,
            rec=rec_chain,
        )
    )
    rows.append(
        _row(
            "untrusted_root",
            defect != "untrusted_root",
            explain if defect == "untrusted_root" else _chain_ok_detail(path, store),
            go=chain_go,
            rec=rec_chain,
        )
    )

    # order, root, extras
    positions = [
        next(i for i, c in enumerate(chain) if c is p) for p, s in zip(path.certs, path.sent, strict=True) if s
    ]
    if positions != sorted(positions):
        order = " → ".join(f"{pos} {chain[pos].label!r}" for pos in positions)
        rows.append(
            _row(
                "chain_order",
                False,
                f"sent out of order: the path is {order} (position as sent); each certificate should be "
                "followed by its issuer",
                "warning",
                rec=(
                    "serve the chain in order: leaf, the intermediate that issued it, then that one's issuer "
                    "(Go, OpenSSL and browsers reorder, older Java and embedded clients do not)"
                ),
            )
        )
    else:
        rows.append(_row("chain_order", True, "sent in order: each certificate is followed by its issuer"))
    on_path = {id(c) for c in path.certs}
    anchor = path.anchor
    roots_sent = [
        i
        for i, c in enumerate(chain)
        if i > 0
        and anchor is not None
        and path.end == "trusted"
        and c.self_signed
        and (c is anchor or (c.subject, c.spki) == (anchor.subject, anchor.spki) or store.contains(c))
    ]
    if roots_sent:
        i = roots_sent[0]
        rows.append(
            _row(
                "root_sent",
                False,
                f"the server sends the root {chain[i].label!r} (position {i}); clients use their own copy, "
                "so it only costs bytes in every handshake",
                "info",
                rec="drop the root from the served chain file (keep leaf + intermediates)",
            )
        )
    else:
        rows.append(_row("root_sent", True, "the root is not sent"))
    extra = [i for i, c in enumerate(chain) if id(c) not in on_path and i not in roots_sent]
    if extra:
        names = ", ".join(f"{i} ({chain[i].label!r}, issued by {chain[i].cert.issuer.rfc4514_string()})" for i in extra)
        rows.append(
            _row(
                "extra_certs",
                False,
                f"sent certificates that are not on the path to the leaf: {names}",
                "warning",
                rec="remove them from the chain file (often a stale intermediate from a previous CA or renewal)",
            )
        )
    else:
        rows.append(_row("extra_certs", True, "every sent certificate is on the path"))

    # key, signature, CA flag
    sent_on_path = [c for c, s in zip(path.certs, path.sent, strict=True) if s]
    weak = [c for c in sent_on_path if _weak_key(c)]
    if weak:
        parts = [f"{_cert_ref(c, chain)}: {c.key_type} {c.key_bits} bits" for c in weak]
        note = ""
        if any(c.key_type == "RSA" and (c.key_bits or 0) < 1024 for c in weak):
            note = "; Go 1.24+ refuses RSA keys under 1024 bits"
        rows.append(
            _row(
                "weak_key",
                False,
                "; ".join(parts) + " (minimum: RSA 2048, EC P-256); clients at OpenSSL security level 2 (Debian and "
                f"Ubuntu defaults) refuse the handshake{note}",
                "warning",
                rec="reissue with an RSA key of at least 2048 bits or an ECDSA P-256 key",
            )
        )
    else:
        rows.append(_row("weak_key", True, "keys: " + ", ".join(f"{c.key_type} {c.key_bits}" for c in sent_on_path)))
    weak_sig = [c for c in sent_on_path if not c.self_signed and c.signature_hash in _WEAK_HASHES]
    if weak_sig:
        parts = [f"{_cert_ref(c, chain)} is signed {c.signature_algorithm}" for c in weak_sig]
        rows.append(
            _row(
                "weak_signature",
                False,
                "; ".join(parts) + ": Go 1.18+ and browsers refuse SHA-1 and MD5 certificate signatures "
                "(Go 1.18-1.23 add '(temporarily override with GODEBUG=x509sha1=1)', gone in Go 1.24)",
                go=chain_go,
                rec="reissue the certificate from a CA that signs with SHA-256 or better (every current CA does)",
            )
        )
    else:
        rows.append(
            _row("weak_signature", True, "signatures: " + ", ".join(c.signature_algorithm for c in sent_on_path))
        )
    if leaf.is_ca:
        rows.append(
            _row(
                "leaf_is_ca",
                False,
                "the leaf has basicConstraints CA:TRUE: Go and OpenSSL accept it, browsers and strict verifiers "
                "(RFC 5280 / CA/B Forum, cryptography) reject a CA certificate as a server certificate",
                "warning",
                rec="reissue the server certificate with basicConstraints CA:FALSE (a leaf, not a CA)",
            )
        )
    else:
        rows.append(_row("leaf_is_ca", True, "the leaf is not a CA"))

    # the final yes/no
    rows.append(_path_validation(chain, store, hostname, at, go_overall))
    return rows, go_overall


def _weak_key(cert: _Cert) -> bool:
    bits = cert.key_bits or 0
    if cert.key_type in ("RSA", "DSA"):
        return bits < 2048
    if cert.key_type.startswith("EC"):
        return bits < 224
    return False


def _chain_ok_detail(path: _Path, store: _TrustStore) -> str:
    if path.end == "trusted" and path.anchor is not None:
        return f"the chain leads to {path.anchor.label!r}, which {store.name} trusts"
    if path.end == "self_signed_leaf":
        return "not applicable: the leaf is self-signed"
    if path.end == "untrusted_root" and path.certs:
        return f"the chain is complete up to its root {path.certs[-1].label!r}"
    return "not applicable: see the failing chain check"


def _chain_defect(
    chain: list[_Cert], path: _Path, store: _TrustStore, known_roots: dict[bytes, list[str]]
) -> tuple[str | None, str, str | None]:
    """Name the chain defect for this store: (check or None, detail, recommendation)."""
    leaf = chain[0]
    trust_rec = (
        "add the private root to the client's pool: x509.SystemCertPool() + AppendCertsFromPEM "
        "(tls.Config.RootCAs) in Go, or SSL_CERT_FILE / update-ca-certificates for the process; "
        "if the service should be publicly trusted, reissue it from a public CA"
    )
    if path.end == "trusted":
        return None, "", None
    if path.end == "self_signed_leaf":
        return (
            "self_signed",
            f"the leaf {leaf.label!r} is self-signed (issuer = subject) and is not in {store.name}",
            "issue the certificate from a CA the clients trust (your private CA or a public one); for a "
            "deliberately self-signed certificate, add exactly this certificate to the client's pool "
            "(x509.NewCertPool + AppendCertsFromPEM into tls.Config.RootCAs) or to SSL_CERT_FILE",
        )
    if path.end == "untrusted_root":
        root = path.certs[-1]
        return (
            "untrusted_root",
            f"the chain is complete, but its root {root.label!r} (sent by the server) is not in {store.name}",
            trust_rec,
        )
    missing = path.missing_for or leaf
    issuer_text = missing.cert.issuer.rfc4514_string()
    elsewhere = known_roots.get(missing.issuer, [])
    where = f" (the AIA caIssuers URL says it lives at {', '.join(missing.aia)})" if missing.aia else ""
    wrong = ""
    if path.wrong_signature is not None:
        wrong = (
            f"; the server sends a certificate named {issuer_text!r} but its key did not sign "
            f"{_cert_ref(missing, chain)}: a stale or wrong intermediate"
        )
    if elsewhere:
        return (
            "untrusted_root",
            f"{_cert_ref(missing, chain)} is issued by the root {issuer_text!r}, which is not in {store.name} "
            f"(it is in {', '.join(elsewhere)})",
            trust_rec,
        )
    if missing is leaf and (missing.aia or path.wrong_signature is not None):
        return (
            "missing_intermediate",
            f"the leaf's issuer {issuer_text!r} is neither sent by the server nor in {store.name}{where}{wrong}",
            "configure the server to send the intermediate: serve fullchain.pem (leaf + intermediates), not "
            "cert.pem — nginx ssl_certificate fullchain.pem; Go tls.LoadX509KeyPair on a file with the leaf "
            "then its intermediates"
            + (f"; the intermediate can be fetched from {missing.aia[0]}" if missing.aia else ""),
        )
    if missing is leaf:
        return (
            "untrusted_root",
            f"the leaf's issuer {issuer_text!r} is neither sent nor in {store.name}, and the leaf names no AIA "
            f"URL: most likely a private CA whose root the client lacks (if it is an intermediate, the server "
            f"must send it as well){wrong}",
            trust_rec,
        )
    return (
        "untrusted_root",
        f"the chain ends at {_cert_ref(missing, chain)}, issued by {issuer_text!r}, which is not in "
        f"{store.name}: an unknown or private root{where}{wrong}",
        trust_rec,
    )


def _path_validation(
    chain: list[_Cert], store: _TrustStore, hostname: str | None, at: dt.datetime, go_overall: str | None
) -> dict[str, Any]:
    if store.verifier_store is None:
        return _row("path_validation", False, f"{store.name} has no usable root", "warning")
    leaf = chain[0]
    name = hostname.strip("[]") if hostname else (leaf.sans[0] if leaf.sans else None)
    if name is None:
        return _row("path_validation", False, "no name to verify the leaf for", "warning")
    try:
        subject: x509.DNSName | x509.IPAddress = (
            x509.IPAddress(ipaddress.ip_address(name)) if is_ip(name) else x509.DNSName(name)
        )
        verifier = PolicyBuilder().store(store.verifier_store).time(at).build_server_verifier(subject)
        verified = verifier.verify(leaf.cert, [c.cert for c in chain[1:]])
    except (VerificationError, ValueError, TypeError, UnsupportedAlgorithm) as exc:
        message = str(exc).split(" (encountered processing")[0]
        if go_overall is None:
            return _row(
                "path_validation",
                False,
                f"cryptography's strict verifier rejects the chain: {message}; Go's crypto/x509 "
                "accepts it (browsers follow the strict rules)",
                "warning",
                rec="fix the defect named in the other checks so strict clients connect too",
            )
        return _row(
            "path_validation",
            False,
            f"cryptography's verifier rejects the chain: {message}",
            go=go_overall,
            rec="fix the defect named in the other checks",
        )
    labels = " → ".join(_info(c).label for c in verified)
    return _row("path_validation", True, f"verified by cryptography: {labels}")


def _cert_rows(target: str, chain: list[_Cert], at: dt.datetime) -> pd.DataFrame:
    rows = [
        {
            "target": target,
            "position": i,
            "subject": c.cert.subject.rfc4514_string(),
            "issuer": c.cert.issuer.rfc4514_string(),
            "sans": ", ".join(c.sans),
            "not_before": c.not_before,
            "not_after": c.not_after,
            "days_left": _days_between(c.not_after, at),
            "sha256": c.sha256,
            "is_ca": c.is_ca,
            "self_signed": c.self_signed,
            "key_type": c.key_type,
            "key_bits": c.key_bits,
            "signature_algorithm": c.signature_algorithm,
            "aia_ca_issuers": ", ".join(c.aia) or None,
        }
        for i, c in enumerate(chain)
    ]
    return conform(rows, "certs")


# -- the report ----------------------------------------------------------------------------

_LABELS = {
    "connect": "connection failed",
    "handshake": "TLS handshake failed",
    "protocol_version": "old TLS version",
    "trust_store": "trust store unavailable",
    "expired": "certificate expired",
    "not_yet_valid": "certificate not yet valid",
    "expiring_soon": "expiring soon",
    "hostname_mismatch": "hostname mismatch",
    "missing_intermediate": "missing intermediate",
    "self_signed": "self-signed certificate",
    "untrusted_root": "untrusted root",
    "chain_order": "chain out of order",
    "root_sent": "root sent needlessly",
    "extra_certs": "unrelated certificates sent",
    "weak_key": "weak key",
    "weak_signature": "weak signature (SHA-1/MD5)",
    "leaf_is_ca": "leaf is a CA",
    "path_validation": "rejected by the path validator",
}
_SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class TLSReport:
    """What one TLS endpoint (or one PEM chain) presents, and every check per trust store.

    Attributes
    ----------
    target : str
        ``host:port`` probed, or the file / ``<PEM text>`` the chain came from.
    hostname : str or None
        Name the chain was checked for (SNI and hostname check).
    certs : DataFrame
        Schema ``certs``: one row per certificate as presented, in the order sent.
    verdicts : DataFrame
        Schema ``tls_verdicts``: one row per check × trust store.
    tls_version, cipher, alpn : str or None
        Negotiated protocol version, cipher suite and ALPN protocol (probe only).
    connect_ms, handshake_ms, dns_ms : float or None
        TCP connect, TLS handshake and name resolution times, ms (probe only; None if not reached).
    error : str or None
        Why the connection or handshake failed; None when a chain was obtained.
    error_kind : str or None
        Failure class from :data:`apiprobe.schema.ERROR_KINDS`.
    ip : str or None
        Address connected to.
    at : datetime
        Evaluation time of the validity checks (UTC).
    chain_source : str
        How the chain was obtained (``_sslobj.get_unverified_chain`` on Python 3.11/3.12,
        ``get_unverified_chain`` on 3.13+, a file, or ``getpeercert (leaf only)`` as a last resort).
    go_errors : dict of str to (str or None)
        Per store, what a Go client logs when it connects (None: it connects fine).
    """

    target: str
    hostname: str | None
    certs: pd.DataFrame = field(repr=False)
    verdicts: pd.DataFrame = field(repr=False)
    at: dt.datetime
    tls_version: str | None = None
    cipher: str | None = None
    alpn: str | None = None
    connect_ms: float | None = None
    handshake_ms: float | None = None
    error: str | None = None
    error_kind: str | None = None
    ip: str | None = None
    dns_ms: float | None = None
    chain_source: str = ""
    go_errors: dict[str, str | None] = field(default_factory=dict, repr=False)

    @property
    def stores(self) -> list[str]:
        """Trust stores checked, in order."""
        return list(self.go_errors)

    def _store(self, store: str | None) -> str:
        names = self.stores
        if store is None:
            if not names:
                raise InvalidTargetError("this report has no trust store")
            return names[-1] if len(names) > 1 and names[-1] not in ("certifi", "system") else names[0]
        if store not in names:
            raise InvalidTargetError(f"no trust store {store!r} in this report; known: {', '.join(names)}")
        return store

    def go_error(self, store: str | None = None) -> str | None:
        """What a Go client trusting ``store`` logs for this endpoint, or None when it connects.

        Parameters
        ----------
        store : str, optional
            A trust store name (``"certifi"``, ``"system"``, or the CA file's name).
            Defaults to the CA file when one was given, else the first store.
        """
        return self.go_errors[self._store(store)]

    def defects(self, store: str | None = None) -> list[str]:
        """Names of the failing checks for ``store`` (default as in :meth:`go_error`), most severe first.

        ``path_validation`` and ``trust_store`` are not defects of the server and are left out.
        """
        name = self._store(store)
        v = self.verdicts
        bad = v[(v["store"] == name) & ~v["ok"].astype(bool) & ~v["check"].isin(["path_validation", "trust_store"])]
        ranked = sorted(zip(bad["severity"], bad["check"], strict=True), key=lambda p: _SEVERITY_RANK.get(str(p[0]), 3))
        return [str(check) for _, check in ranked]

    def trusted(self, store: str | None = None) -> bool:
        """Whether the path validator accepts the chain with ``store`` (False when no chain was obtained)."""
        name = self._store(store)
        v = self.verdicts
        row = v[(v["store"] == name) & (v["check"] == "path_validation")]
        return bool(len(row)) and bool(row["ok"].iloc[0])

    @property
    def overall(self) -> dict[str, str]:
        """One line per trust store, e.g. ``"certifi: UNTRUSTED — missing intermediate"``."""
        out: dict[str, str] = {}
        v = self.verdicts
        for name in self.stores:
            rows = v[v["store"] == name]
            failed = rows[~rows["ok"].astype(bool)]
            net = failed[failed["check"].isin(["connect", "handshake"])]
            if len(net):
                out[name] = f"{name}: ERROR — {net['detail'].iloc[0]}"
                continue
            if (failed["check"] == "trust_store").any():
                out[name] = f"{name}: UNKNOWN — {failed[failed['check'] == 'trust_store']['detail'].iloc[0]}"
                continue
            named = failed[failed["check"] != "path_validation"]
            top = min((_SEVERITY_RANK.get(str(s), 3) for s in named["severity"]), default=None)
            labels = [
                _LABELS.get(str(c), str(c))
                for c, s in zip(named["check"], named["severity"], strict=True)
                if _SEVERITY_RANK.get(str(s), 3) == top
            ]
            critical = top == 0
            if self.trusted(name) and not critical:
                out[name] = f"{name}: TRUSTED" + (f" with warnings — {', '.join(labels)}" if labels else "")
                continue
            if not labels:
                pv = rows[rows["check"] == "path_validation"]
                labels = [str(pv["detail"].iloc[0])] if len(pv) else ["not trusted"]
            note = "" if self.go_errors.get(name) or critical else " (Go connects; strict verifiers refuse)"
            out[name] = f"{name}: UNTRUSTED — {', '.join(labels)}{note}"
        return out

    def __str__(self) -> str:
        head = f"{self.target} (name {self.hostname})" if self.hostname else self.target
        lines = [head]
        if self.tls_version:
            lines.append(
                f"  {self.tls_version} {self.cipher} ALPN {self.alpn or '-'}; "
                f"connect {_ms(self.connect_ms)}, handshake {_ms(self.handshake_ms)}"
            )
        for c in self.certs.itertuples():
            lines.append(f"  [{c.position}] {c.subject}  (issuer {c.issuer}; {c.days_left:.0f} days left)")
        for name, line in self.overall.items():
            lines.append(f"  {line}")
            go = self.go_errors.get(name)
            if go:
                lines.append(f"      Go: {go}")
        return "\n".join(lines)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} ms"


def _analyze(
    target: str,
    hostname: str | None,
    chain: list[_Cert],
    stores: list[_TrustStore],
    at: dt.datetime,
    lead: list[dict[str, Any]] | None = None,
) -> tuple[pd.DataFrame, dict[str, str | None]]:
    known: dict[bytes, list[str]] = {}
    for store in stores:
        for subject in store.by_subject:
            known.setdefault(subject, []).append(store.name)
    rows: list[dict[str, Any]] = []
    go_errors: dict[str, str | None] = {}
    for store in stores:
        store_rows = [dict(r) for r in (lead or [])]
        if store.problem is not None:
            store_rows.append(
                _row(
                    "trust_store",
                    False,
                    store.problem,
                    "warning",
                    rec="install the CA bundle (ca-certificates) or point SSL_CERT_FILE at one",
                )
            )
            go_errors[store.name] = None
        else:
            n = len(store.roots)
            store_rows.append(_row("trust_store", True, f"{n} root{'s' if n != 1 else ''} from {store.source}"))
            others = {k: [n for n in v if n != store.name] for k, v in known.items()}
            others = {k: v for k, v in others.items() if v}
            checks, go_errors[store.name] = _store_rows(chain, store, hostname, at, others)
            store_rows.extend(checks)
        for r in store_rows:
            r["store"] = store.name
            r["target"] = target
        rows.extend(store_rows)
    return conform(rows, "tls_verdicts"), go_errors


# -- public API ------------------------------------------------------------------------------


def diagnose_chain(
    pem_or_path: str | bytes | os.PathLike[str],
    hostname: str | None,
    *,
    cafile: str | os.PathLike[str] | None = None,
    stores: Sequence[str] = ("certifi", "system"),
    at: dt.datetime | pd.Timestamp | str | None = None,
    target: str | None = None,
) -> TLSReport:
    """Check a certificate chain given as PEM text, bytes or a file, without any network access.

    Each row of the report's ``certs`` table is one certificate in the order
    given (the first is the leaf); each row of ``verdicts`` is one check ×
    trust store. Noise around the PEM blocks is ignored, so the output of
    ``openssl s_client -connect host:443 -showcerts`` can be pasted as is.

    Parameters
    ----------
    pem_or_path : str, bytes or path
        PEM text (anything containing ``-----BEGIN CERTIFICATE-----``), PEM or
        DER bytes, or the path of a PEM/DER file. Leaf first, as a server sends it.
    hostname : str or None
        Name the client connects to (DNS name or IP); None skips the name check.
    cafile : str or path, optional
        Extra trust store: a PEM file of roots (store name = the file's name).
    stores : sequence of str, default ("certifi", "system")
        Built-in trust stores to check against: ``"certifi"`` and/or ``"system"``.
    at : datetime, Timestamp or str, optional
        Evaluation time for the validity checks (postmortem); default now (UTC).
        A naive time is taken as UTC.
    target : str, optional
        Label for the ``target`` column; default the file path or ``<PEM text>``.

    Returns
    -------
    TLSReport
        The chain, the verdicts per store, Go's error per store.

    Raises
    ------
    DataFormatError
        No certificate in the input, a block that is not a certificate (the
        message names the source, the block number and its line), or an
        unreadable ``cafile``.
    InvalidTargetError
        Unknown store name or bad ``at``.
    """
    certs, source = _read_chain(pem_or_path)
    store_list = _load_stores(stores, cafile)
    when = _as_utc(at)
    label = target or source
    chain = [_info(c) for c in certs]
    verdicts, go_errors = _analyze(label, hostname, chain, store_list, when)
    return TLSReport(
        target=label,
        hostname=hostname,
        certs=_cert_rows(label, chain, when),
        verdicts=verdicts,
        at=when,
        chain_source="file" if source not in ("<PEM text>", "<PEM bytes>", "<DER bytes>") else source,
        go_errors=go_errors,
    )


@functools.lru_cache(maxsize=1)
def _probe_context() -> ssl.SSLContext:
    """Client context that completes a handshake with anything: verification off, every cipher offered."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with contextlib.suppress(ssl.SSLError):
        ctx.set_ciphers("ALL:@SECLEVEL=0")  # see weak keys and SHA-1 chains instead of failing on them
    with warnings.catch_warnings(), contextlib.suppress(ValueError, ssl.SSLError):
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ssl.TLSVersion.TLSv1  # let an old server show itself (reported, not hidden)
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    return ctx


def _served_chain(tls: ssl.SSLSocket) -> tuple[list[bytes], str]:
    """DER certificates exactly as the server sent them, and how they were obtained."""

    def der(item: Any) -> bytes:  # DER bytes (3.13+) or _ssl.Certificate objects (3.10-3.12)
        return item.public_bytes(_ENCODING_DER) if hasattr(item, "public_bytes") else bytes(item)

    public = getattr(tls, "get_unverified_chain", None)  # Python 3.13+
    if callable(public):
        chain = public()
        if chain:
            return [der(c) for c in chain], "get_unverified_chain"
    private = getattr(getattr(tls, "_sslobj", None), "get_unverified_chain", None)  # CPython 3.10-3.12
    if callable(private):
        chain = private()
        if chain:
            return [der(c) for c in chain], "_sslobj.get_unverified_chain"
    leaf = tls.getpeercert(binary_form=True)
    return ([leaf] if leaf else []), "getpeercert (leaf only)"


def _check_target(host: str, port: int) -> tuple[str, int]:
    if not isinstance(host, str) or not host.strip():
        raise InvalidTargetError(f"not a host name: {host!r}")
    text = host.strip()
    if "://" in text:
        url = parse_url(text)
        text, port = url.host, url.port if url.port else port
    text = text.strip("[]")
    if any(ch.isspace() for ch in text) or "/" in text:
        raise InvalidTargetError(f"not a host name: {host!r}")
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise InvalidTargetError(f"port must be an integer in 1..65535, not {port!r}")
    return text, port


_SSL_GO_ERRORS = {
    "WRONG_VERSION_NUMBER": "tls: first record does not look like a TLS handshake",
    "HTTP_REQUEST": "tls: first record does not look like a TLS handshake",
    "RECORD_LAYER_FAILURE": "tls: first record does not look like a TLS handshake",
    "PACKET_LENGTH_TOO_LONG": "tls: first record does not look like a TLS handshake",
    "SSLV3_ALERT_HANDSHAKE_FAILURE": "remote error: tls: handshake failure",
    "TLSV1_ALERT_PROTOCOL_VERSION": "remote error: tls: protocol version not supported",
    "TLSV1_ALERT_INTERNAL_ERROR": "remote error: tls: internal error",
}


def _failure(check: str, kind: str, message: str, go: str | None, rec: str) -> dict[str, Any]:
    row = _row(check, False, message, go=go, rec=rec)
    row["error_kind"] = kind
    return row


def probe_tls(
    host: str,
    port: int = 443,
    *,
    servername: str | None = None,
    cafile: str | os.PathLike[str] | None = None,
    stores: Sequence[str] = ("certifi", "system"),
    timeout: float = 5.0,
    at: dt.datetime | pd.Timestamp | str | None = None,
) -> TLSReport:
    """Connect to ``host:port``, capture the chain as served and check it per trust store.

    The name is resolved first, then the TCP connect and the TLS handshake are
    timed separately. The handshake runs with verification off (and every
    cipher offered, TLS 1.0 up), so the chain of a broken server is captured
    too; verification happens offline afterwards. ALPN offers ``h2`` and
    ``http/1.1``. No request is sent.

    Each row of the report's ``certs`` table is one certificate as the server
    sent it; each row of ``verdicts`` is one check × trust store (see the
    module docstring for the checks).

    Parameters
    ----------
    host : str
        DNS name or IP literal (an ``https://`` URL is accepted too).
    port : int, default 443
        TCP port.
    servername : str, optional
        SNI and name to check the certificate for, when it differs from
        ``host`` (Go: ``tls.Config.ServerName``). For an IP ``host`` without
        ``servername`` no SNI is sent and the IP is checked against IP SANs.
    cafile : str or path, optional
        Extra trust store: a PEM file of roots (store name = the file's name).
    stores : sequence of str, default ("certifi", "system")
        Built-in trust stores to check against.
    timeout : float, default 5.0
        Seconds allowed for the TCP connect and, separately, for the handshake.
    at : datetime, Timestamp or str, optional
        Evaluation time for the validity checks; default now (UTC).

    Returns
    -------
    TLSReport
        Never raises on a network failure: refused, timed out, not TLS or a
        failed handshake give a report with ``error`` set and a failing
        ``connect`` or ``handshake`` row per store.

    Raises
    ------
    InvalidTargetError
        Bad host, port, timeout, store name or ``at``.
    DataFormatError
        ``cafile`` cannot be read as PEM certificates.
    """
    host, port = _check_target(host, port)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
        raise InvalidTargetError(f"timeout must be a positive number of seconds, not {timeout!r}")
    if servername is not None and (not isinstance(servername, str) or not servername.strip()):
        raise InvalidTargetError(f"not a server name: {servername!r}")
    store_list = _load_stores(stores, cafile)
    fixed_at = _as_utc(at) if at is not None else None
    hostname = (servername or host).strip().strip("[]")
    target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    report: dict[str, Any] = {"target": target, "hostname": hostname}

    def failed(row: dict[str, Any]) -> TLSReport:
        kind = row.pop("error_kind")
        when = fixed_at or _as_utc(None)
        verdicts, go_errors = _analyze_failure(target, store_list, row)
        return TLSReport(
            certs=conform(None, "certs"),
            verdicts=verdicts,
            error=str(row["detail"]),
            error_kind=kind,
            at=when,
            go_errors=go_errors,
            **report,
        )

    # resolve
    start = time.perf_counter()
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        go = f"dial tcp: lookup {host}: no such host" if getattr(exc, "errno", None) == socket.EAI_NONAME else None
        return failed(
            _failure(
                "connect",
                "dns_failure",
                f"{host} does not resolve: {exc}",
                go,
                "check the name and the resolver the client uses (DNS, /etc/hosts)",
            )
        )
    report["dns_ms"] = None if is_ip(host) else (time.perf_counter() - start) * 1000.0

    # connect: addresses in order, like Go's dialer (without Happy Eyeballs)
    sock: socket.socket | None = None
    last: dict[str, Any] | None = None
    for family, kind, proto, _, address in infos:
        ip = str(address[0])
        candidate = socket.socket(family, kind, proto)
        candidate.settimeout(timeout)
        start = time.perf_counter()
        try:
            candidate.connect(address)
        except TimeoutError:
            candidate.close()
            last = _failure(
                "connect",
                "connect_timeout",
                f"no answer from {_hostport(ip, port)} within {timeout:g} s",
                f"dial tcp {_hostport(ip, port)}: i/o timeout",
                "check firewalls / security groups and that the service listens on that address",
            )
            report["ip"] = ip
            continue
        except ConnectionRefusedError as exc:
            candidate.close()
            last = _failure(
                "connect",
                "connect_refused",
                f"{_hostport(ip, port)}: {exc.strerror or exc}",
                f"dial tcp {_hostport(ip, port)}: connect: connection refused",
                "nothing listens there: check the port and that the service is up",
            )
            report["ip"] = ip
            continue
        except OSError as exc:
            candidate.close()
            last = _failure(
                "connect",
                "connect_error",
                f"{_hostport(ip, port)}: {exc.strerror or exc}",
                None,
                "check the route to the host",
            )
            report["ip"] = ip
            continue
        report["connect_ms"] = (time.perf_counter() - start) * 1000.0
        report["ip"] = ip
        sock = candidate
        break
    if sock is None:
        assert last is not None
        return failed(last)

    # handshake
    sni = None if is_ip(hostname) else hostname
    tls: ssl.SSLSocket | None = None
    try:
        tls = _probe_context().wrap_socket(sock, server_hostname=sni, do_handshake_on_connect=False)
        tls.settimeout(timeout)
        start = time.perf_counter()
        tls.do_handshake()
        report["handshake_ms"] = (time.perf_counter() - start) * 1000.0
        der_chain, source = _served_chain(tls)
        cipher = tls.cipher()
        report.update(
            tls_version=tls.version(),
            cipher=cipher[0] if cipher else None,
            alpn=tls.selected_alpn_protocol(),
            chain_source=source,
        )
    except TimeoutError:
        return failed(
            _failure(
                "handshake",
                "tls_timeout",
                f"the TLS handshake did not finish within {timeout:g} s",
                "net/http: TLS handshake timeout",
                "the port accepts connections but does not speak TLS back: check that it is the "
                "TLS port and that the server is not overloaded",
            )
        )
    except ssl.SSLError as exc:
        reason = str(getattr(exc, "reason", None) or "")
        detail = "TLS handshake failed: " + re.sub(r"\s*\(_ssl\.c:\d+\)", "", str(exc))
        if reason in ("WRONG_VERSION_NUMBER", "HTTP_REQUEST", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG"):
            detail += " (the server did not answer with TLS: plain HTTP or another protocol on this port?)"
        elif "ALERT" in reason:
            detail += (
                " (the server refused the handshake: no protocol version, cipher or signature algorithm "
                "in common, or it wants a client certificate)"
            )
        return failed(
            _failure(
                "handshake",
                "tls_error",
                detail,
                _SSL_GO_ERRORS.get(reason),
                "compare the protocols and ciphers both sides allow (openssl s_client -connect "
                "host:port), and check that this port speaks TLS",
            )
        )
    except OSError as exc:
        return failed(
            _failure(
                "handshake",
                "tls_error",
                f"the connection failed during the TLS handshake: {exc.strerror or exc}",
                None,
                "check the server's TLS configuration and its logs",
            )
        )
    finally:
        if tls is not None:
            with contextlib.suppress(OSError):
                tls.close()
        else:
            sock.close()

    when = fixed_at or _as_utc(None)
    try:
        chain = [_info(x509.load_der_x509_certificate(der)) for der in der_chain]
    except ValueError as exc:
        return failed(
            _failure(
                "handshake",
                "tls_error",
                f"the server sent a certificate that cannot be parsed: {exc}",
                None,
                "check the certificate file the server loads",
            )
        )
    if not chain:
        return failed(
            _failure(
                "handshake",
                "tls_error",
                "the server sent no certificate",
                None,
                "configure a certificate on the server",
            )
        )
    lead = [
        _row(
            "handshake",
            True,
            f"{report['tls_version']}, {report['cipher']}, ALPN {report['alpn'] or 'none'}, "
            f"{len(chain)} certificate{'s' if len(chain) != 1 else ''} sent",
        )
    ]
    version = str(report["tls_version"])
    if version in ("TLSv1", "TLSv1.1", "SSLv3"):
        code = {"TLSv1": "301", "TLSv1.1": "302", "SSLv3": "300"}[version]
        lead.append(
            _row(
                "protocol_version",
                False,
                f"the server negotiated {version}; Go clients require TLS 1.2 or newer by default",
                go=f"tls: server selected unsupported protocol version {code}",
                rec="enable TLS 1.2 and 1.3 on the server (and disable 1.0/1.1)",
            )
        )
    else:
        lead.append(_row("protocol_version", True, f"{version} is current"))
    verdicts, go_errors = _analyze(target, hostname, chain, store_list, when, lead)
    return TLSReport(certs=_cert_rows(target, chain, when), verdicts=verdicts, at=when, go_errors=go_errors, **report)


def _hostport(ip: str, port: int) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def _analyze_failure(
    target: str, stores: list[_TrustStore], row: dict[str, Any]
) -> tuple[pd.DataFrame, dict[str, str | None]]:
    rows = []
    for store in stores:
        r = dict(row)
        r.update(store=store.name, target=target)
        rows.append(r)
    return conform(rows, "tls_verdicts"), {s.name: row.get("go_error") for s in stores}
