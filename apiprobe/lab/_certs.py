"""Certificate authority and certificates for the fault lab's TLS endpoints.

Everything here is built with :mod:`cryptography` (EC P-256 or RSA 2048 keys,
SHA-256 signatures) and kept general on purpose: a chain with a missing
intermediate, an expired leaf, a leaf for the wrong name or a self-signed leaf
is each a call or two of :func:`make_ca` / :func:`issue_cert` with different
arguments, wrapped in a :class:`Credentials` that a TLS port presents.

The certificates follow the rules strict verifiers enforce (OpenSSL's
``X509_V_FLAG_X509_STRICT``, Go's ``crypto/x509``): CA certificates carry a
critical ``basicConstraints`` and ``keyUsage`` with ``keyCertSign``, leaves carry
``subjectAltName``, ``extendedKeyUsage=serverAuth`` and authority/subject key
identifiers.
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
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

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
    raise ValueError(f"unknown key_type {key_type!r}; expected 'ec' or 'rsa'")


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
