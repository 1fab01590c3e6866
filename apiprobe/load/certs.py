"""X.509 certificates from PEM text, PEM/DER bytes or files, and the facts the TLS checks read off them.

:func:`parse_certificates` takes text or bytes (PEM blocks among any other
text, such as a pasted ``openssl s_client -showcerts`` output, or one DER
certificate); :func:`read_certificates` opens a file first. Both raise
:class:`~apiprobe.errors.DataFormatError` naming the source and the block
(number and line) that cannot be read.

The rest is shared with :mod:`apiprobe.analyze.tls` and :mod:`apiprobe.probe.tls`
(not part of the public surface): :class:`CertFacts` / :func:`cert_facts`
(subject, SANs, key, signature, validity of one certificate), :func:`signed_by`,
:func:`read_chain` (text, bytes or a path, as :func:`~apiprobe.analyze.diagnose_chain`
accepts them), :func:`read_bundle` (a CA file, leniently) and :func:`certs_table`
(the ``certs`` evidence table).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import hashlib
import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID, SignatureAlgorithmOID

from apiprobe.errors import DataFormatError, InvalidParameterError
from apiprobe.load._paths import refusal
from apiprobe.load._sniff import judge_bytes
from apiprobe.schema import conform

__all__ = ["parse_certificates", "read_certificates"]

_PEM_BLOCK = re.compile(
    r"-----BEGIN (?P<kind>(?:X509 |TRUSTED )?CERTIFICATE)-----(?P<body>.*?)-----END (?P=kind)-----", re.S
)
_PEM_BEGIN = re.compile(r"-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----")


# -- reading PEM / DER ----------------------------------------------------------------------


def _first_der_element(der: bytes) -> bytes:
    """The first DER element of ``der`` (a TRUSTED CERTIFICATE appends OpenSSL trust settings)."""
    if len(der) < 2:
        return der
    length, start = der[1], 2
    if length & 0x80:
        n = length & 0x7F
        length, start = int.from_bytes(der[2 : 2 + n], "big"), 2 + n
    return der[: start + length]


def parse_certificates(data: bytes | str, *, source: str = "<PEM text>") -> list[x509.Certificate]:
    """Every certificate in ``data``: PEM blocks among any other text, or one DER certificate.

    Text around the PEM blocks is ignored, so the output of
    ``openssl s_client -connect host:443 -showcerts`` can be passed as is.
    ``X509 CERTIFICATE`` and OpenSSL's ``TRUSTED CERTIFICATE`` blocks are read too.

    Parameters
    ----------
    data : bytes or str
        PEM text, or PEM or DER bytes.
    source : str, default "<PEM text>"
        What ``data`` is (a file name), for error messages.

    Returns
    -------
    list of cryptography.x509.Certificate
        In the order given (for a chain as served: leaf first).

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


def read_certificates(path: str | os.PathLike[str]) -> list[x509.Certificate]:
    """Every certificate in a PEM file (any text around the blocks is ignored) or a DER file.

    Parameters
    ----------
    path : str or path
        The file to read.

    Returns
    -------
    list of cryptography.x509.Certificate
        In file order (for a chain file: leaf first).

    Raises
    ------
    DataFormatError
        The file cannot be read, holds no certificate (another kind of evidence
        names the function that reads it), or has a block that is not one (the
        message names the file, the block number and its line).
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise DataFormatError(f"{p}: cannot read the certificate file: {exc.strerror or exc}") from exc
    message = refusal(str(p), *judge_bytes(data, p.name), "certs", "a certificate file", unknown=True)
    if message is not None:
        raise DataFormatError(message)
    return parse_certificates(data, source=str(p))


def read_chain(pem_or_path: str | bytes | os.PathLike[str]) -> tuple[list[x509.Certificate], str]:
    """The certificates of PEM text, PEM/DER bytes or a file, and where they came from.

    Text counts as PEM when it holds ``-----BEGIN`` or a newline, else as a path.

    Parameters
    ----------
    pem_or_path : str, bytes or path
        PEM text, PEM or DER bytes, or the path of a PEM/DER file.

    Returns
    -------
    (list of cryptography.x509.Certificate, str)
        The certificates, and ``"<PEM text>"``, ``"<PEM bytes>"``, ``"<DER bytes>"`` or the file path.

    Raises
    ------
    DataFormatError
        As :func:`parse_certificates` and :func:`read_certificates`.
    InvalidParameterError
        ``pem_or_path`` is neither text, bytes nor a path.
    """
    if isinstance(pem_or_path, bytes | bytearray | memoryview):
        data = bytes(pem_or_path)
        source = "<PEM bytes>" if b"-----BEGIN" in data else "<DER bytes>"
        return parse_certificates(data, source=source), source
    if isinstance(pem_or_path, str) and ("-----BEGIN" in pem_or_path or "\n" in pem_or_path):
        return parse_certificates(pem_or_path, source="<PEM text>"), "<PEM text>"
    if isinstance(pem_or_path, str | os.PathLike):
        return read_certificates(pem_or_path), str(Path(pem_or_path))
    raise InvalidParameterError(f"pem_or_path: expected PEM text, bytes or a path, not {type(pem_or_path).__name__}")


def read_bundle(path: str, *, strict: bool) -> list[x509.Certificate]:
    """The roots of a CA bundle file.

    Parameters
    ----------
    path : str
        The PEM file.
    strict : bool
        Raise on a block that cannot be read (a CA file the user gave); when
        False (a system bundle) skip it, so one odd root does not hide the others.

    Returns
    -------
    list of cryptography.x509.Certificate
        The roots (empty when a lenient read finds none).

    Raises
    ------
    OSError
        The file cannot be read (the caller decides what that means).
    DataFormatError
        ``strict`` and a block is not a certificate.
    """
    data = Path(path).read_bytes()
    with warnings.catch_warnings():
        # system bundles hold a few roots with non-positive serials: cryptography warns, and they are fine here
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        if strict:
            return parse_certificates(data, source=path)
        try:
            return x509.load_pem_x509_certificates(data)
        except ValueError:  # one odd root must not hide the others: parse block by block
            out = []
            for match in _PEM_BLOCK.finditer(data.decode("latin-1")):
                with contextlib.suppress(ValueError, binascii.Error):
                    der = base64.b64decode(re.sub(r"\s+", "", match.group("body")))
                    out.append(x509.load_der_x509_certificate(_first_der_element(der)))
            return out


# -- what a certificate says ----------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class CertFacts:
    """One parsed certificate and the facts the TLS checks need.

    Attributes
    ----------
    cert : cryptography.x509.Certificate
        The certificate itself.
    sha256 : str
        Hex SHA-256 of its DER encoding.
    subject, issuer : bytes
        DER of the subject and issuer names (for issuer lookups).
    spki : bytes
        DER SubjectPublicKeyInfo (empty when the key type is unsupported).
    label : str
        Common name, else the RFC 4514 subject, else the serial: for messages.
    go_name : str
        How Go names the certificate in x509 errors (CN, else O, else the serial).
    not_before, not_after : datetime
        Validity window, UTC.
    is_ca : bool
        basicConstraints CA:TRUE.
    self_signed : bool
        Issuer equals subject and its own key verifies its signature.
    key_type : str
        ``RSA``, ``EC <curve>``, ``Ed25519``, ``Ed448``, ``DSA`` or the key class name.
    key_bits : int or None
        Key size in bits.
    signature_algorithm : str
        The signature algorithm's name (dotted OID when unnamed).
    signature_hash : str or None
        Hash of the signature (``sha256``, ``sha1``, ...).
    dns_names, ip_addresses : tuple of str
        The subjectAltName entries.
    has_san : bool
        Whether there is a subjectAltName extension at all.
    aia : tuple of str
        AIA caIssuers URLs.
    """

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
        """DNS then IP subjectAltNames."""
        return (*self.dns_names, *self.ip_addresses)


def name_attr(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    """The first value of attribute ``oid`` in ``name``, as text, or None.

    Parameters
    ----------
    name : cryptography.x509.Name
        A subject or issuer.
    oid : cryptography.x509.ObjectIdentifier
        The attribute (e.g. ``NameOID.COMMON_NAME``).

    Returns
    -------
    str or None
        Its first value.
    """
    attrs = name.get_attributes_for_oid(oid)
    if not attrs:
        return None
    value = attrs[0].value
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def signed_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    """Whether ``parent``'s key verifies ``child``'s signature (any hash, SHA-1 and MD5 included).

    Parameters
    ----------
    child : cryptography.x509.Certificate
        The signed certificate.
    parent : cryptography.x509.Certificate
        The candidate issuer.

    Returns
    -------
    bool
        True when the signature verifies.
    """
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


def spki_der(cert: x509.Certificate) -> bytes:
    """DER SubjectPublicKeyInfo of ``cert``, or ``b""`` when its key type is unsupported.

    Parameters
    ----------
    cert : cryptography.x509.Certificate
        The certificate.

    Returns
    -------
    bytes
        The encoded public key.
    """
    try:
        return cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    except (UnsupportedAlgorithm, ValueError):
        return b""


def cert_facts(cert: x509.Certificate) -> CertFacts:
    """Collect the facts of one certificate (never raises on odd extensions).

    Parameters
    ----------
    cert : cryptography.x509.Certificate
        The certificate.

    Returns
    -------
    CertFacts
        Its names, validity, key and signature facts.
    """
    subject, issuer = cert.subject.public_bytes(), cert.issuer.public_bytes()
    cn = name_attr(cert.subject, NameOID.COMMON_NAME)
    org = name_attr(cert.subject, NameOID.ORGANIZATION_NAME)
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
    oid = cert.signature_algorithm_oid
    return CertFacts(
        cert=cert,
        sha256=hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest(),
        subject=subject,
        issuer=issuer,
        spki=spki_der(cert),
        label=label,
        go_name=go_name,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        is_ca=is_ca,
        self_signed=subject == issuer and signed_by(cert, cert),
        key_type=key_type,
        key_bits=key_bits,
        signature_algorithm=getattr(oid, "_name", None) or oid.dotted_string,
        signature_hash=hash_name,
        dns_names=dns,
        ip_addresses=ips,
        has_san=has_san,
        aia=aia,
    )


def certs_table(target: str, chain: Sequence[CertFacts], at: dt.datetime) -> pd.DataFrame:
    """The ``certs`` evidence table of one chain.

    Parameters
    ----------
    target : str
        Value of the ``target`` column.
    chain : sequence of CertFacts
        The certificates in the order presented (leaf first).
    at : datetime
        Evaluation time for ``days_left`` (UTC).

    Returns
    -------
    pandas.DataFrame
        Schema ``certs``; each row is one certificate as presented: ``target``,
        ``position`` (0 = leaf), ``subject``, ``issuer`` (RFC 4514), ``sans``
        (comma-separated), ``not_before``, ``not_after`` (UTC), ``days_left``
        (days from ``at`` to notAfter, negative when expired), ``sha256``,
        ``is_ca``, ``self_signed``, ``key_type``, ``key_bits``,
        ``signature_algorithm``, ``aia_ca_issuers``.
    """
    rows = [
        {
            "target": target,
            "position": i,
            "subject": c.cert.subject.rfc4514_string(),
            "issuer": c.cert.issuer.rfc4514_string(),
            "sans": ", ".join(c.sans),
            "not_before": c.not_before,
            "not_after": c.not_after,
            "days_left": (c.not_after - at).total_seconds() / 86400.0,
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
