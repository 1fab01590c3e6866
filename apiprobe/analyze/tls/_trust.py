"""Trust stores: certifi, the system bundle (where Go looks for it on Linux) and a CA file, indexed for lookups."""

from __future__ import annotations

import functools
import os
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.verification import Store

from apiprobe.errors import DataFormatError, InvalidTargetError
from apiprobe.load.certs import CertFacts, read_bundle, signed_by, spki_der

__all__ = ["TrustStore", "load_stores"]

#: Where Go looks for the system roots on Linux (crypto/x509/root_linux.go), after SSL_CERT_FILE.
_GO_CERT_FILES = (
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
)


@dataclass(frozen=True, eq=False)
class TrustStore:
    """One set of trusted roots, indexed for issuer lookups.

    Attributes
    ----------
    name : str
        ``certifi``, ``system`` or the CA file's name.
    source : str or None
        The file the roots came from.
    roots : tuple of cryptography.x509.Certificate
        The trusted roots.
    problem : str or None
        Why the store is unusable (missing or empty file); None when fine.
    by_subject : dict
        Subject DER → roots with that subject.
    fingerprints : frozenset of bytes
        SHA-256 of every root.
    keys : frozenset of (bytes, bytes)
        (subject DER, SPKI DER) of every root.
    verifier_store : cryptography.x509.verification.Store or None
        The roots for cryptography's path validator (None when it refuses them).
    """

    name: str
    source: str | None
    roots: tuple[x509.Certificate, ...] = ()
    problem: str | None = None
    by_subject: dict[bytes, list[x509.Certificate]] = field(default_factory=dict)
    fingerprints: frozenset[bytes] = frozenset()
    keys: frozenset[tuple[bytes, bytes]] = frozenset()
    verifier_store: Store | None = None

    def contains(self, cert: CertFacts) -> bool:
        """Whether ``cert`` itself (or its subject and key) is a root of this store."""
        return bytes.fromhex(cert.sha256) in self.fingerprints or (cert.subject, cert.spki) in self.keys

    def issuers_of(self, cert: CertFacts) -> list[x509.Certificate]:
        """The roots of this store that signed ``cert``."""
        return [r for r in self.by_subject.get(cert.issuer, []) if signed_by(cert.cert, r)]


@functools.lru_cache(maxsize=16)
def _cached_store(name: str, path: str, mtime_ns: int, size: int, strict: bool) -> TrustStore:
    roots = tuple(read_bundle(path, strict=strict))
    if not roots:
        if strict:
            raise DataFormatError(f"{path}: no certificate in the CA file")
        return TrustStore(name, path, problem=f"{path} holds no certificate")
    by_subject: dict[bytes, list[x509.Certificate]] = {}
    fingerprints, keys = set(), set()
    for root in roots:
        by_subject.setdefault(root.subject.public_bytes(), []).append(root)
        fingerprints.add(root.fingerprint(hashes.SHA256()))
        spki = spki_der(root)
        if spki:
            keys.add((root.subject.public_bytes(), spki))
    try:
        verifier_store: Store | None = Store(list(roots))
    except ValueError:
        verifier_store = None
    return TrustStore(name, path, roots, None, by_subject, frozenset(fingerprints), frozenset(keys), verifier_store)


def _file_store(name: str, path: str, *, strict: bool) -> TrustStore:
    try:
        st = os.stat(path)
        return _cached_store(name, path, st.st_mtime_ns, st.st_size, strict)
    except OSError as exc:
        if strict:
            raise DataFormatError(f"{path}: cannot read the CA file: {exc.strerror or exc}") from exc
        return TrustStore(name, path, problem=f"cannot read {path}: {exc.strerror or exc}")


def _system_ca_file() -> str | None:
    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, paths.openssl_cafile, *_GO_CERT_FILES):
        if candidate and os.path.isfile(candidate):
            return candidate
    return None


def load_stores(stores: Sequence[str] | str, cafile: str | os.PathLike[str] | None) -> list[TrustStore]:
    """The trust stores to check a chain against, in order (the CA file last).

    A built-in store that cannot be read becomes a store with ``problem`` set
    (reported as a failing ``trust_store`` check), not an exception.

    Parameters
    ----------
    stores : sequence of str or str
        ``"certifi"`` and/or ``"system"``.
    cafile : str or path, optional
        A PEM file of roots; the store is named after the file.

    Returns
    -------
    list of TrustStore
        One per store name, then the CA file.

    Raises
    ------
    InvalidTargetError
        An unknown store name, a name given twice, or no store at all.
    DataFormatError
        ``cafile`` cannot be read or holds no certificate.
    """
    names = [stores] if isinstance(stores, str) else list(stores)
    out: list[TrustStore] = []
    for name in names:
        if name == "certifi":
            import certifi

            out.append(_file_store("certifi", certifi.where(), strict=False))
        elif name == "system":
            path = _system_ca_file()
            if path is None:
                looked = ", ".join(("SSL_CERT_FILE", *_GO_CERT_FILES))
                out.append(TrustStore("system", None, problem=f"no system CA file found (looked at {looked})"))
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
