"""The fault lab's broken-chain HTTPS endpoints: each presents exactly the chain its catalogue entry says.

Checked at the certificate level with cryptography (what is sent, in which
order, signed how) and at the connection level with real handshakes.
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
from collections.abc import Iterator

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import AuthorityInformationAccessOID
from cryptography.x509.verification import PolicyBuilder, Store

from apiprobe.errors import LabError
from apiprobe.lab import FaultLab
from apiprobe.lab._certs import LAB_SANS, Authority, LabPki, issue_cert, make_ca, resign, self_signed_leaf

FAULT_ENDPOINTS = [
    "https_chain_ok",
    "https_expired",
    "https_not_yet_valid",
    "https_expiring_soon",
    "https_wrong_host",
    "https_missing_intermediate",
    "https_self_signed",
    "https_untrusted_root",
    "https_wrong_order",
    "https_root_sent",
    "https_weak_key",
    "https_sha1",
    "https_leaf_is_ca",
]


@pytest.fixture(scope="module")
def tls_lab() -> Iterator[FaultLab]:
    with FaultLab(seed=0, tls_faults=True) as lab:
        yield lab


def served(lab: FaultLab, name: str) -> list[x509.Certificate]:
    """The chain the endpoint sends, captured from a real handshake (verification off)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_ciphers("ALL:@SECLEVEL=0")
    with (
        socket.create_connection(lab.address(name), timeout=10) as raw,
        ctx.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        chain = tls._sslobj.get_unverified_chain()  # type: ignore[attr-defined]  # private in 3.11/3.12
        return [x509.load_der_x509_certificate(c.public_bytes(2)) for c in chain]


def load(path: object) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(open(str(path), "rb").read())


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def test_catalogue_and_files(tls_lab: FaultLab) -> None:
    endpoints = tls_lab.endpoints
    assert [n for n in endpoints if n.startswith("https_")] == ["https_ok", *FAULT_ENDPOINTS]
    for name in FAULT_ENDPOINTS:
        ep = endpoints[name]
        assert ep.fault and ep.expect and ep.url == tls_lab.url(name)
        assert ep.url.startswith("https://")
        assert served(tls_lab, name) == load(tls_lab.chain_path(name))
    assert len(load(tls_lab.ca_path)) == 1  # only the lab root: what a client should trust
    root = load(tls_lab.ca_path)[0]
    (inter,) = load(tls_lab.intermediate_path)
    assert inter.issuer == root.subject
    inter.verify_directly_issued_by(root)  # raises if root did not sign it
    assert tls_lab.url("delay", over="https_chain_ok", ms=1).startswith("https://")


def test_the_fault_endpoints_can_be_left_out() -> None:
    with FaultLab(seed=0, tls_faults=False) as lab:
        assert not any(n in lab.endpoints for n in FAULT_ENDPOINTS)
        with pytest.raises(LabError, match="tls_faults=True"):
            lab.url("https_expired")
        with pytest.raises(LabError):
            _ = lab.aia_url
        assert lab.chain_path("https_ok").exists()
    with FaultLab(seed=0, tls=False, dns=False) as plain:  # no TLS at all: no broken chains either
        assert not any(n.startswith("https") for n in plain.endpoints)
        with pytest.raises(LabError):
            _ = plain.dns


def test_valid_chains_verify_with_the_lab_root(tls_lab: FaultLab) -> None:
    ctx = ssl.create_default_context(cafile=str(tls_lab.ca_path))
    with httpx.Client(verify=ctx) as client:
        for name in (
            "https_chain_ok",
            "https_expiring_soon",
            "https_wrong_order",
            "https_root_sent",
            "https_leaf_is_ca",
        ):
            assert client.get(tls_lab.url(name)).status_code == 200, name
        for name in (
            "https_expired",
            "https_not_yet_valid",
            "https_wrong_host",
            "https_missing_intermediate",
            "https_self_signed",
            "https_untrusted_root",
        ):
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                client.get(tls_lab.url(name))


def test_each_chain_has_its_defect(tls_lab: FaultLab) -> None:
    root = load(tls_lab.ca_path)[0]
    (inter,) = load(tls_lab.intermediate_path)
    chains = {name: served(tls_lab, name) for name in FAULT_ENDPOINTS}
    t = now()
    ok = chains["https_chain_ok"]
    assert [c.issuer for c in ok] == [inter.subject, root.subject] and ok[1] == inter
    assert ok[0].not_valid_after_utc - t > dt.timedelta(days=89)
    assert chains["https_expired"][0].not_valid_after_utc < t
    assert chains["https_not_yet_valid"][0].not_valid_before_utc > t
    left = chains["https_expiring_soon"][0].not_valid_after_utc - t
    assert dt.timedelta(days=19) < left < dt.timedelta(days=21)
    sans = chains["https_wrong_host"][0].extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["wrong.apiprobe.test", "www.wrong.apiprobe.test"]
    assert not set(LAB_SANS) & set(sans.get_values_for_type(x509.DNSName))
    (lone,) = chains["https_missing_intermediate"]
    assert lone.issuer == inter.subject
    aia = lone.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    assert [d.access_location.value for d in aia if d.access_method == AuthorityInformationAccessOID.CA_ISSUERS] == [
        tls_lab.aia_url
    ]
    (selfie,) = chains["https_self_signed"]
    assert selfie.issuer == selfie.subject
    selfie.verify_directly_issued_by(selfie)
    assert not selfie.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    foreign = chains["https_untrusted_root"]
    assert len(foreign) == 2 and foreign[1].issuer != root.subject and foreign[0].issuer == foreign[1].subject
    order = chains["https_wrong_order"]
    assert order[1] == inter and order[0].issuer == order[2].subject and order[2].issuer == inter.subject
    assert chains["https_root_sent"][1:] == [inter, root]
    key = chains["https_weak_key"][0].public_key()
    assert isinstance(key, rsa.RSAPublicKey) and key.key_size == 1024
    sha1 = chains["https_sha1"][0]
    assert isinstance(sha1.signature_hash_algorithm, hashes.SHA1)
    assert sha1.signature_algorithm_oid._name == "ecdsa-with-SHA1"
    leaf_ca = chains["https_leaf_is_ca"][0]
    assert leaf_ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_aia_url_serves_the_missing_intermediate(tls_lab: FaultLab) -> None:
    r = httpx.get(tls_lab.aia_url)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pkix-cert"
    fetched = x509.load_der_x509_certificate(r.content)
    assert fetched == load(tls_lab.intermediate_path)[0]
    assert httpx.get(tls_lab.aia_url + ".nope").status_code == 404
    # with the fetched intermediate the chain verifies: it really was only missing
    (leaf,) = load(tls_lab.chain_path("https_missing_intermediate"))
    verifier = (
        PolicyBuilder().store(Store(load(tls_lab.ca_path))).time(now()).build_server_verifier(x509.DNSName("localhost"))
    )
    assert len(verifier.verify(leaf, [fetched])) == 3


def test_resign_produces_legacy_signatures_cryptography_refuses_to_make() -> None:
    root, root_key = make_ca("legacy root", key_type="rsa")
    day = dt.timedelta(days=1)
    leaf, _ = issue_cert(root, root_key, sans=["localhost"], not_before=now() - day, not_after=now() + day)
    for name, expected in (("sha1", "sha1WithRSAEncryption"), ("md5", "md5WithRSAEncryption")):
        legacy = resign(leaf, root_key, name)  # type: ignore[arg-type]
        assert legacy.signature_algorithm_oid._name == expected
        assert legacy.subject == leaf.subject and legacy.serial_number == leaf.serial_number
        assert legacy.tbs_certificate_bytes != leaf.tbs_certificate_bytes
    ec_root = Authority.create()
    with pytest.raises(ValueError, match="md5"):
        resign(ec_root.leaf(["a"]).chain[0], ec_root.key, "md5")


def test_pki_and_self_signed_helpers() -> None:
    pki = LabPki.create("test", LAB_SANS, aia_url="http://127.0.0.1:1/x.crt")
    assert pki.intermediate.cert.issuer == pki.root.cert.subject
    assert pki.sub_intermediate.cert.issuer == pki.intermediate.cert.subject
    assert pki.foreign_intermediate.cert.issuer == pki.foreign_root.cert.subject
    assert pki.root.cert.not_valid_after_utc - now() > dt.timedelta(days=3000)
    cert, _ = pki.intermediate.issue(pki.sans, aia_ca_issuers=pki.aia_url)
    assert cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess)
    creds = self_signed_leaf(["localhost"])
    assert creds.chain[0].issuer == creds.chain[0].subject
