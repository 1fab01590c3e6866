"""The certification path of a chain for one trust store, and which chain defect breaks it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from apiprobe.analyze.tls._trust import TrustStore
from apiprobe.load.certs import CertFacts, cert_facts, signed_by

__all__ = ["ChainPath", "build_path", "cert_ref", "chain_defect", "chain_ok_detail", "sent_issuer_walk"]


@dataclass
class ChainPath:
    """The certification path found for one store: leaf first, anchor last when trusted.

    Attributes
    ----------
    certs : list of CertFacts
        The path, leaf first.
    sent : list of bool
        Per path element: taken from what the server sent (False: the store's root).
    end : str
        ``trusted``, ``self_signed_leaf``, ``untrusted_root`` or ``missing_issuer``.
    anchor : CertFacts or None
        The trusted certificate the path ends at.
    missing_for : CertFacts or None
        The certificate whose issuer was not found.
    wrong_signature : CertFacts or None
        A sent certificate with the issuer's name whose key does not verify.
    """

    certs: list[CertFacts]
    sent: list[bool]
    end: str
    anchor: CertFacts | None = None
    missing_for: CertFacts | None = None
    wrong_signature: CertFacts | None = None


def build_path(chain: Sequence[CertFacts], store: TrustStore) -> ChainPath:
    """Walk from the leaf to a root, preferring store roots over sent certificates (as Go does).

    Parameters
    ----------
    chain : sequence of CertFacts
        The certificates as sent, leaf first.
    store : TrustStore
        The roots the client trusts.

    Returns
    -------
    ChainPath
        The path and how it ends.
    """
    leaf = chain[0]
    path = ChainPath([leaf], [True], "missing_issuer")
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
            anchor = cert_facts(roots[0])
            path.certs.append(anchor)
            path.sent.append(False)
            path.end, path.anchor = "trusted", anchor
            return path
        named = [i for i in range(1, len(chain)) if i not in used and chain[i].subject == current.issuer]
        good = [i for i in named if signed_by(current.cert, chain[i].cert)]
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


def sent_issuer_walk(chain: Sequence[CertFacts]) -> list[int]:
    """Positions of the sent certificates on the issuer walk from the leaf, using only what was sent.

    The walk follows each certificate to the sent certificate that signed it,
    so it is the same for every trust store: the order a TLS 1.2 client that
    does not reorder (older OpenSSL, Java, embedded stacks) would have to accept.

    Parameters
    ----------
    chain : sequence of CertFacts
        The certificates as sent, leaf first.

    Returns
    -------
    list of int
        Positions in ``chain``, leaf (0) first; in order when the list is sorted.
    """
    walk = [0]
    current = chain[0]
    while not current.self_signed:
        nxt = next(
            (
                i
                for i in range(1, len(chain))
                if i not in walk and chain[i].subject == current.issuer and signed_by(current.cert, chain[i].cert)
            ),
            None,
        )
        if nxt is None:
            break
        walk.append(nxt)
        current = chain[nxt]
    return walk


def cert_ref(cert: CertFacts, chain: Sequence[CertFacts]) -> str:
    """How messages name ``cert``: "the leaf", "certificate 2 ('…')" or "the trust-store root '…'".

    Parameters
    ----------
    cert : CertFacts
        A certificate of the path.
    chain : sequence of CertFacts
        The chain as sent.

    Returns
    -------
    str
        The reference.
    """
    for i, c in enumerate(chain):
        if c is cert:
            return "the leaf" if i == 0 else f"certificate {i} ({cert.label!r})"
    return f"the trust-store root {cert.label!r}"


def chain_ok_detail(path: ChainPath, store: TrustStore) -> str:
    """The detail of a passing chain check.

    Parameters
    ----------
    path : ChainPath
        The path found.
    store : TrustStore
        The store it was built for.

    Returns
    -------
    str
        Where the chain leads, or why the check does not apply.
    """
    if path.end == "trusted" and path.anchor is not None:
        return f"the chain leads to {path.anchor.label!r}, which {store.name} trusts"
    if path.end == "self_signed_leaf":
        return "not applicable: the leaf is self-signed"
    if path.end == "untrusted_root" and path.certs:
        return f"the chain is complete up to its root {path.certs[-1].label!r}"
    return "not applicable: see the failing chain check"


def chain_defect(
    chain: Sequence[CertFacts], path: ChainPath, store: TrustStore, known_roots: dict[bytes, list[str]]
) -> tuple[str | None, str, str | None]:
    """Name the chain defect for this store: missing intermediate, self-signed leaf or untrusted root.

    Go logs ``x509: certificate signed by unknown authority`` for all three; this tells them apart.

    Parameters
    ----------
    chain : sequence of CertFacts
        The chain as sent, leaf first.
    path : ChainPath
        The path built for ``store``.
    store : TrustStore
        The store checked.
    known_roots : dict
        Subject DER → names of the *other* stores that hold a root with that subject.

    Returns
    -------
    (str or None, str, str or None)
        The failing check (None when trusted), its detail and the recommendation.
    """
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
            f"{cert_ref(missing, chain)}: a stale or wrong intermediate"
        )
    if elsewhere:
        return (
            "untrusted_root",
            f"{cert_ref(missing, chain)} is issued by the root {issuer_text!r}, which is not in {store.name} "
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
        f"the chain ends at {cert_ref(missing, chain)}, issued by {issuer_text!r}, which is not in "
        f"{store.name}: an unknown or private root{where}{wrong}",
        trust_rec,
    )
