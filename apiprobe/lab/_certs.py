"""Certificate authority and certificates for the fault lab's TLS endpoints.

Everything here is built with :mod:`cryptography` (EC P-256 or RSA 2048 keys,
SHA-256 signatures) and kept general on purpose: a chain with a missing
intermediate, an expired leaf, a leaf for the wrong name or a self-signed leaf
is each a call or two of :func:`make_ca` / :func:`issue_cert` with different
arguments, wrapped in a :class:`Credentials` that a TLS port presents.

:class:`LabPki` is the lab's hierarchy (root → intermediate → leaves, a
second intermediate level, and a foreign root nobody trusts);
:func:`self_signed_leaf` and :func:`resign` (SHA-1 / MD5 signatures, which
cryptography no longer signs with) cover the defects a CA call cannot make.

Unless a defect asks otherwise, the certificates follow the rules strict
verifiers enforce (OpenSSL's ``X509_V_FLAG_X509_STRICT``, Go's ``crypto/x509``):
CA certificates carry a critical ``basicConstraints`` and ``keyUsage`` with
``keyCertSign``, leaves carry ``subjectAltName``, ``extendedKeyUsage=serverAuth``
and authority/subject key identifiers.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from apiprobe.errors import InvalidParameterError

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
"""The private key types the lab generates."""

KeyType = Literal["ec", "rsa"]
"""``"ec"`` for an EC P-256 key, ``"rsa"`` for an RSA 2048 key."""

#: Names every lab leaf certificate is valid for, besides the lab's own host.
LAB_SANS: tuple[str, ...] = ("127.0.0.1", "localhost", "lab.apiprobe.test")


def generate_key(key_type: KeyType = "ec") -> PrivateKey:
    """Generate a fresh private key.

    Parameters
    ----------
    key_type : {"ec", "rsa"}
        ``"ec"`` gives an EC P-256 key, ``"rsa"`` an RSA 2048 key (exponent 65537).

    Returns
    -------
    PrivateKey
        The new key.
    """
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    raise InvalidParameterError(f"unknown key_type {key_type!r}; expected 'ec' or 'rsa'")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _general_name(value: str) -> x509.GeneralName:
    """Turn ``"127.0.0.1"`` into an IP SAN and anything else into a DNS SAN."""
    try:
        return x509.IPAddress(ipaddress.ip_address(value))
    except ValueError:
        return x509.DNSName(value)


def _build(
    *,
    subject: x509.Name,
    issuer: x509.Name,
    public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey,
    signing_key: PrivateKey,
    issuer_public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey,
    not_before: dt.datetime,
    not_after: dt.datetime,
    is_ca: bool,
    path_length: int | None,
    sans: Sequence[str],
    aia_ca_issuers: str | None = None,
) -> x509.Certificate:
    """Assemble and sign one certificate; the single place extensions are chosen."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=path_length if is_ca else None), True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public_key), False)
    )
    if is_ca:
        usage = x509.KeyUsage(
            digital_signature=True,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=True,
            crl_sign=True,
            encipher_only=False,
            decipher_only=False,
        )
    else:
        usage = x509.KeyUsage(
            digital_signature=True,
            content_commitment=False,
            key_encipherment=isinstance(public_key, rsa.RSAPublicKey),
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=False,
            crl_sign=False,
            encipher_only=False,
            decipher_only=False,
        )
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
    builder = builder.add_extension(usage, True)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName([_general_name(s) for s in sans]), False)
    if aia_ca_issuers:
        access = x509.AccessDescription(
            AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier(aia_ca_issuers)
        )
        builder = builder.add_extension(x509.AuthorityInformationAccess([access]), False)
    return builder.sign(signing_key, hashes.SHA256())


def make_ca(
    name: str,
    *,
    key_type: KeyType = "ec",
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
) -> tuple[x509.Certificate, PrivateKey]:
    """Create a self-signed root certificate authority.

    Parameters
    ----------
    name : str
        Common name (and organisation) of the CA, e.g. ``"apiprobe fault lab CA"``.
    key_type : {"ec", "rsa"}
        Key algorithm, see :func:`generate_key`.
    not_before, not_after : datetime, optional
        Validity window (tz-aware). Defaults to one day ago until 30 days from now.

    Returns
    -------
    tuple of (Certificate, PrivateKey)
        The CA certificate and its key, ready to pass to :func:`issue_cert`.
    """
    now = _utcnow()
    key = generate_key(key_type)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "apiprobe fault lab"),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )
    cert = _build(
        subject=subject,
        issuer=subject,
        public_key=key.public_key(),
        signing_key=key,
        issuer_public_key=key.public_key(),
        not_before=not_before or now - dt.timedelta(days=1),
        not_after=not_after or now + dt.timedelta(days=30),
        is_ca=True,
        path_length=None,
        sans=(),
    )
    return cert, key


def issue_cert(
    ca_cert: x509.Certificate,
    ca_key: PrivateKey,
    *,
    sans: Sequence[str],
    not_before: dt.datetime,
    not_after: dt.datetime,
    is_ca: bool = False,
    common_name: str | None = None,
    key_type: KeyType = "ec",
    key: PrivateKey | None = None,
    path_length: int | None = None,
    aia_ca_issuers: str | None = None,
) -> tuple[x509.Certificate, PrivateKey]:
    """Issue a certificate signed by ``ca_cert`` / ``ca_key``.

    Nothing is validated on purpose: an ``not_after`` in the past gives an
    expired certificate, ``sans`` without the host gives a name mismatch, and
    ``is_ca=True`` gives an intermediate CA that can itself sign leaves.

    Parameters
    ----------
    ca_cert : Certificate
        The issuing CA certificate (its subject becomes the issuer name).
    ca_key : PrivateKey
        The issuing CA key.
    sans : sequence of str
        Subject alternative names; IP literals become IP SANs, everything else
        DNS SANs. May be empty (typical for an intermediate CA).
    not_before, not_after : datetime
        Validity window (tz-aware UTC).
    is_ca : bool, default False
        Issue a CA (intermediate) certificate instead of a server leaf.
    common_name : str, optional
        Subject common name; defaults to the first SAN, or ``"apiprobe lab"``.
    key_type : {"ec", "rsa"}
        Algorithm of the generated key when ``key`` is not given.
    key : PrivateKey, optional
        Reuse this key instead of generating one.
    path_length : int, optional
        ``pathLenConstraint`` for a CA certificate.
    aia_ca_issuers : str, optional
        URL for the Authority Information Access ``caIssuers`` entry: where a
        client can download the issuer certificate (public CAs always set it).

    Returns
    -------
    tuple of (Certificate, PrivateKey)
        The new certificate and its private key.
    """
    key = key if key is not None else generate_key(key_type)
    cn = common_name or (sans[0] if sans else "apiprobe lab")
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "apiprobe fault lab"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )
    cert = _build(
        subject=subject,
        issuer=ca_cert.subject,
        public_key=key.public_key(),
        signing_key=ca_key,
        issuer_public_key=ca_key.public_key(),
        not_before=not_before,
        not_after=not_after,
        is_ca=is_ca,
        path_length=path_length,
        sans=sans,
        aia_ca_issuers=aia_ca_issuers,
    )
    return cert, key


def write_pem(path: str | Path, items: Iterable[x509.Certificate | PrivateKey]) -> Path:
    """Write certificates and/or private keys to one PEM file, in order.

    Keys are written unencrypted (PKCS#8), which is what a throwaway lab needs.

    Parameters
    ----------
    path : str or Path
        Destination file; overwritten.
    items : iterable of Certificate or PrivateKey
        What to write, e.g. ``[leaf, intermediate]`` for a chain file.

    Returns
    -------
    Path
        ``path`` as a :class:`~pathlib.Path`.
    """
    chunks: list[bytes] = []
    for item in items:
        if isinstance(item, x509.Certificate):
            chunks.append(item.public_bytes(serialization.Encoding.PEM))
        else:
            chunks.append(
                item.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
    out = Path(path)
    out.write_bytes(b"".join(chunks))
    return out


@dataclass(frozen=True)
class Credentials:
    """What a TLS port presents: a certificate chain and the leaf's key.

    Attributes
    ----------
    chain : tuple of Certificate
        Leaf first, then any intermediates the server sends. Leave an
        intermediate out to reproduce an incomplete chain.
    key : PrivateKey
        The leaf's private key.
    """

    chain: tuple[x509.Certificate, ...]
    key: PrivateKey

    def write(self, directory: str | Path, stem: str) -> tuple[Path, Path]:
        """Write ``<stem>.pem`` (chain) and ``<stem>.key`` into ``directory``.

        Parameters
        ----------
        directory : str or Path
            An existing directory.
        stem : str
            File name without extension, usually the endpoint name.

        Returns
        -------
        tuple of (Path, Path)
            The chain file and the key file, as ``ssl.SSLContext.load_cert_chain`` takes them.
        """
        base = Path(directory)
        return write_pem(base / f"{stem}.pem", self.chain), write_pem(base / f"{stem}.key", [self.key])


@dataclass(frozen=True)
class Authority:
    """The lab's root CA, with shortcuts to issue server credentials from it.

    Attributes
    ----------
    cert : Certificate
        The self-signed root certificate (what clients trust via ``FaultLab.ca_path``).
    key : PrivateKey
        Its private key.
    """

    cert: x509.Certificate
    key: PrivateKey

    @classmethod
    def create(cls, name: str = "apiprobe fault lab CA", *, key_type: KeyType = "ec") -> Authority:
        """Generate a new root CA, see :func:`make_ca`."""
        cert, key = make_ca(name, key_type=key_type)
        return cls(cert, key)

    def leaf(
        self,
        sans: Sequence[str],
        *,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
        key_type: KeyType = "ec",
    ) -> Credentials:
        """Issue a server leaf directly from the root.

        Parameters
        ----------
        sans : sequence of str
            Names the leaf is valid for.
        not_before, not_after : datetime, optional
            Validity window; defaults to one hour ago until 7 days from now.
        key_type : {"ec", "rsa"}
            Leaf key algorithm.

        Returns
        -------
        Credentials
            A one-certificate chain (the root is not sent, as usual) and the key.
        """
        now = _utcnow()
        cert, key = issue_cert(
            self.cert,
            self.key,
            sans=sans,
            not_before=not_before or now - dt.timedelta(hours=1),
            not_after=not_after or now + dt.timedelta(days=7),
            key_type=key_type,
        )
        return Credentials((cert,), key)

    def issue(
        self,
        sans: Sequence[str],
        *,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
        is_ca: bool = False,
        key: PrivateKey | None = None,
        aia_ca_issuers: str | None = None,
    ) -> tuple[x509.Certificate, PrivateKey]:
        """Issue a certificate from this authority with every option of :func:`issue_cert`.

        Parameters
        ----------
        sans : sequence of str
            Names the certificate is valid for (empty for a CA).
        not_before, not_after : datetime, optional
            Validity window; defaults to one hour ago until 90 days from now.
        is_ca : bool, default False
            Set ``basicConstraints CA:TRUE`` (an intermediate, or a leaf that is wrongly a CA).
        key : PrivateKey, optional
            The subject key; an EC P-256 key is generated when omitted.
        aia_ca_issuers : str, optional
            URL of the issuer certificate, for the AIA extension.

        Returns
        -------
        tuple of (Certificate, PrivateKey)
            The certificate and the subject's key.
        """
        now = _utcnow()
        return issue_cert(
            self.cert,
            self.key,
            sans=sans,
            not_before=not_before or now - dt.timedelta(hours=1),
            not_after=not_after or now + dt.timedelta(days=90),
            is_ca=is_ca,
            key=key,
            aia_ca_issuers=aia_ca_issuers,
        )

    def intermediate(self, name: str, *, days: int = 5 * 365) -> Authority:
        """Issue an intermediate CA (valid from one day ago for ``days`` days) and return it as an authority."""
        now = _utcnow()
        cert, key = issue_cert(
            self.cert,
            self.key,
            sans=(),
            not_before=now - dt.timedelta(days=1),
            not_after=now + dt.timedelta(days=days),
            is_ca=True,
            common_name=name,
        )
        return Authority(cert, key)


def self_signed_leaf(
    sans: Sequence[str],
    *,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    key_type: KeyType = "ec",
) -> Credentials:
    """A self-signed server certificate (``CA:FALSE``, issuer = subject), like ``openssl req -x509`` makes.

    Parameters
    ----------
    sans : sequence of str
        Names the certificate is valid for.
    not_before, not_after : datetime, optional
        Validity window; defaults to one hour ago until 90 days from now.
    key_type : {"ec", "rsa"}
        Key algorithm.

    Returns
    -------
    Credentials
        A one-certificate chain and its key.
    """
    now = _utcnow()
    key = generate_key(key_type)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "apiprobe fault lab (self-signed)"),
            x509.NameAttribute(NameOID.COMMON_NAME, sans[0] if sans else "apiprobe lab"),
        ]
    )
    cert = _build(
        subject=name,
        issuer=name,
        public_key=key.public_key(),
        signing_key=key,
        issuer_public_key=key.public_key(),
        not_before=not_before or now - dt.timedelta(hours=1),
        not_after=not_after or now + dt.timedelta(days=90),
        is_ca=False,
        path_length=None,
        sans=sans,
    )
    return Credentials((cert,), key)


# -- legacy signatures --------------------------------------------------------------------
#
# cryptography (>= 45) refuses to *sign* certificates with SHA-1 or MD5
# ("Hash algorithm 'sha1' not supported for signatures"), but its primitives still
# sign raw bytes with them. ``resign`` swaps the signature AlgorithmIdentifier
# inside the to-be-signed DER and signs it again, which is all a legacy CA did.

_LEGACY_ALGORITHMS: dict[tuple[str, str], bytes] = {
    # AlgorithmIdentifier DER: SEQUENCE { OID [, NULL] }
    ("ec", "sha1"): bytes.fromhex("300906072a8648ce3d0401"),  # ecdsa-with-SHA1
    ("rsa", "sha1"): bytes.fromhex("300d06092a864886f70d0101050500"),  # sha1WithRSAEncryption
    ("rsa", "md5"): bytes.fromhex("300d06092a864886f70d0101040500"),  # md5WithRSAEncryption
}


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _der_element(data: bytes, pos: int) -> tuple[int, int]:
    """Return (content start, end) of the DER element starting at ``pos``."""
    length = data[pos + 1]
    start = pos + 2
    if length & 0x80:
        n = length & 0x7F
        length = int.from_bytes(data[start : start + n], "big")
        start += n
    return start, start + length


def resign(cert: x509.Certificate, issuer_key: PrivateKey, hash_name: Literal["sha1", "md5"]) -> x509.Certificate:
    """Return ``cert`` signed again by ``issuer_key`` with a legacy hash (SHA-1, or MD5 for RSA).

    Parameters
    ----------
    cert : Certificate
        A certificate issued by the owner of ``issuer_key`` (its content is kept).
    issuer_key : PrivateKey
        The issuer's key: EC (``ecdsa-with-SHA1``) or RSA (``sha1WithRSAEncryption``,
        ``md5WithRSAEncryption``).
    hash_name : {"sha1", "md5"}
        The legacy hash.

    Returns
    -------
    Certificate
        The re-signed certificate.
    """
    kind = "ec" if isinstance(issuer_key, ec.EllipticCurvePrivateKey) else "rsa"
    algorithm = _LEGACY_ALGORITHMS.get((kind, hash_name))
    if algorithm is None:
        raise InvalidParameterError(f"no {hash_name} signature algorithm for {kind} keys")
    tbs = cert.tbs_certificate_bytes
    start, end = _der_element(tbs, 0)
    children: list[bytes] = []
    pos = start
    while pos < end:
        _, child_end = _der_element(tbs, pos)
        children.append(tbs[pos:child_end])
        pos = child_end
    children[2] = algorithm  # [0] version, serialNumber, signature AlgorithmIdentifier, ...
    content = b"".join(children)
    new_tbs = b"\x30" + _der_length(len(content)) + content
    digest: hashes.HashAlgorithm = hashes.SHA1() if hash_name == "sha1" else hashes.MD5()
    if isinstance(issuer_key, ec.EllipticCurvePrivateKey):
        signature = issuer_key.sign(new_tbs, ec.ECDSA(digest))
    else:
        signature = issuer_key.sign(new_tbs, padding.PKCS1v15(), digest)
    bit_string = b"\x03" + _der_length(len(signature) + 1) + b"\x00" + signature
    body = new_tbs + algorithm + bit_string
    return x509.load_der_x509_certificate(b"\x30" + _der_length(len(body)) + body)


@dataclass(frozen=True)
class LabPki:
    """The lab's CA hierarchy, from which every TLS endpoint's credentials are issued.

    ::

        root (trusted: FaultLab.ca_path)          foreign root (NOT in ca_path)
        └── intermediate ── issues the leaves      └── foreign intermediate ── issues a leaf
            └── sub-intermediate (wrong-order chain)

    Attributes
    ----------
    root : Authority
        The lab root, valid for ten years (what clients trust).
    intermediate : Authority
        Issued by ``root``; issues the fault leaves.
    sub_intermediate : Authority
        Issued by ``intermediate``: a two-intermediate chain to serve out of order.
    foreign_root, foreign_intermediate : Authority
        A second hierarchy that no lab client trusts.
    sans : tuple of str
        Names the lab leaves are valid for.
    aia_url : str or None
        Where the lab serves the intermediate (AIA ``caIssuers`` of the leaves that set it).
    """

    root: Authority
    intermediate: Authority
    sub_intermediate: Authority
    foreign_root: Authority
    foreign_intermediate: Authority
    sans: tuple[str, ...]
    aia_url: str | None = None

    @classmethod
    def create(cls, label: str, sans: Sequence[str], *, aia_url: str | None = None) -> LabPki:
        """Generate the hierarchy (EC P-256 keys: a few milliseconds).

        Parameters
        ----------
        label : str
            Appended to the CA names, e.g. ``"seed 0"``.
        sans : sequence of str
            Names the leaves are valid for.
        aia_url : str, optional
            URL serving the intermediate certificate (DER).
        """
        now = _utcnow()
        root = Authority(*make_ca(f"apiprobe fault lab CA ({label})", not_after=now + dt.timedelta(days=3650)))
        intermediate = root.intermediate(f"apiprobe fault lab intermediate CA ({label})")
        foreign = Authority(*make_ca(f"apiprobe untrusted root CA ({label})", not_after=now + dt.timedelta(days=3650)))
        return cls(
            root=root,
            intermediate=intermediate,
            sub_intermediate=intermediate.intermediate(f"apiprobe fault lab issuing CA ({label})"),
            foreign_root=foreign,
            foreign_intermediate=foreign.intermediate(f"apiprobe untrusted intermediate CA ({label})"),
            sans=tuple(sans),
            aia_url=aia_url,
        )
