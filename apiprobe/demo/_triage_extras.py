"""The odds and ends of the demo's triage folder: a pasted certificate chain, a screenshot, notes.

None of them is evidence of the incident's cause:

* :func:`demo_payments_chain` — the ``payments.internal`` leaf and its
  intermediate from the shop's private CA, as someone pasted them from
  ``openssl s_client -showcerts`` (the listing lines kept). Healthy (valid
  2026-01-01 → 2031-01-01, names and key usage right, RSA 2048 with SHA-256
  as strict verifiers want): a red herring. The RSA keys are derived from
  fixed seeds (their primes found by a seeded search) and PKCS #1 v1.5
  signatures are deterministic, so the bytes are the same on every run.
* :func:`demo_screenshot_png` — a small PNG "screenshot" of a Grafana
  latency panel (drawn pixel by pixel, compressed with :mod:`zlib`): a file
  of a kind apiprobe does not read.
* :data:`DEMO_ONCALL_NOTES` — the on-call's free-prose notes.
"""

from __future__ import annotations

import functools
import math
import random
import struct
import zlib
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["CHAIN_VALIDITY", "DEMO_ONCALL_NOTES", "demo_payments_chain", "demo_root_ca_pem", "demo_screenshot_png"]

#: Validity of both certificates in the pasted chain (ISO 8601, UTC).
CHAIN_VALIDITY = ("2026-01-01T00:00:00Z", "2031-01-01T00:00:00Z")


# -- the certificate chain -------------------------------------------------------------------


_SMALL_PRIMES = [p for p in range(3, 2000) if all(p % d for d in range(2, math.isqrt(p) + 1))]


def _probable_prime(n: int) -> bool:
    """Trial division, then Miller-Rabin with the first 16 odd primes as bases (deterministic)."""
    for p in _SMALL_PRIMES:
        if n % p == 0:
            return n == p
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for a in _SMALL_PRIMES[:16]:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


@functools.cache
def _key(label: str) -> rsa.RSAPrivateKey:
    """A 2048-bit RSA key that depends on ``label`` only: each prime is the first after a seeded start."""
    rng = random.Random(f"apiprobe demo {label}")
    e = 65537
    primes = []
    for _ in range(2):
        n = rng.getrandbits(1024) | (3 << 1022) | 1
        while (n - 1) % e == 0 or not _probable_prime(n):
            n += 2
        primes.append(n)
    p, q = primes
    d = pow(e, -1, (p - 1) * (q - 1))
    numbers = rsa.RSAPrivateNumbers(
        p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q), rsa.RSAPublicNumbers(e, p * q)
    )
    return numbers.private_key()


def _name(cn: str, org: bool = True) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "DE")] if org else []
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Demo Shop"))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def _cert(
    subject: x509.Name,
    issuer: x509.Name,
    key: rsa.RSAPublicKey,
    signer: rsa.RSAPrivateKey,
    serial: int,
    *,
    ca: bool,
    sans: list[str] | None = None,
    validity: tuple[str, str] = CHAIN_VALIDITY,
    path_length: int | None = 0,
) -> x509.Certificate:
    start, end = (datetime.fromisoformat(v.replace("Z", "+00:00")).astimezone(UTC) for v in validity)
    b = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key)
        .serial_number(serial)
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length if ca else None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=not ca,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False)
    )
    if not ca:
        b = b.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        ).add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in sans or []]), critical=False)
    return b.sign(signer, hashes.SHA256())  # PKCS #1 v1.5: no randomness


def _openssl_name(name: x509.Name) -> str:
    short = {NameOID.COUNTRY_NAME: "C", NameOID.ORGANIZATION_NAME: "O", NameOID.COMMON_NAME: "CN"}
    return ", ".join(f"{short[a.oid]} = {a.value!s}" for a in name)


_ROOT = _name("Demo Shop Internal Root CA")
_INTER = _name("Demo Shop Issuing CA 1")
_LEAF = _name("payments.internal", org=False)


def demo_root_ca_pem() -> str:
    """The shop's private root CA (PEM), which the pasted chain leaves out: a trust store for checking it.

    Returns
    -------
    str
        One PEM certificate (self-signed, RSA 2048, valid 2025-01-01 → 2035-01-01).
    """
    key = _key("root ca")
    cert = _cert(
        _ROOT,
        _ROOT,
        key.public_key(),
        key,
        0x1A2B3C4D5E6F0000,
        ca=True,
        validity=("2025-01-01T00:00:00Z", "2035-01-01T00:00:00Z"),
        path_length=None,
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def demo_payments_chain() -> str:
    """The pasted chain of ``payments.internal``: leaf and intermediate, as ``openssl s_client -showcerts`` lists them.

    Returns
    -------
    str
        The ``Certificate chain`` listing with two PEM blocks (the private root
        is not in it, as a server does not send its root); the same text on
        every call.
    """
    root_key, inter_key, leaf_key = _key("root ca"), _key("issuing ca 1"), _key("payments.internal")
    root, inter, leaf = _ROOT, _INTER, _LEAF
    inter_cert = _cert(inter, root, inter_key.public_key(), root_key, 0x1A2B3C4D5E6F0001, ca=True)
    leaf_cert = _cert(
        leaf,
        inter,
        leaf_key.public_key(),
        inter_key,
        0x5EED0000C0FFEE42,
        ca=False,
        sans=["payments.internal", "payments", "payments.payments.svc.cluster.local"],
    )
    lines = ["Certificate chain"]
    for depth, (cert, subject, issuer) in enumerate(((leaf_cert, leaf, inter), (inter_cert, inter, root))):
        lines += [
            f" {depth} s:{_openssl_name(subject)}",
            f"   i:{_openssl_name(issuer)}",
            "   a:PKEY: rsaEncryption, 2048 (bit); sigalg: RSA-SHA256",
            "   v:NotBefore: Jan  1 00:00:00 2026 GMT; NotAfter: Jan  1 00:00:00 2031 GMT",
            cert.public_bytes(serialization.Encoding.PEM).decode("ascii").rstrip("\n"),
        ]
    lines.append("---")
    return "\n".join(lines) + "\n"


# -- the screenshot --------------------------------------------------------------------------

# Grafana's dark theme: canvas, panel, grid, text-ish grey, green, yellow, red
_PALETTE = [
    (0x11, 0x12, 0x17),
    (0x18, 0x1B, 0x1F),
    (0x2C, 0x32, 0x35),
    (0x8E, 0x8E, 0x8E),
    (0x73, 0xBF, 0x69),
    (0xFA, 0xDE, 0x2A),
    (0xF2, 0x49, 0x5C),
    (0x22, 0x25, 0x2B),
]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def demo_screenshot_png(width: int = 480, height: int = 240) -> bytes:
    """A PNG "screenshot" of a Grafana panel: checkout latency p50/p99 over 09:40–10:20, the spike at 10:00.

    Parameters
    ----------
    width, height : int, default 480, 240
        Image size in pixels.

    Returns
    -------
    bytes
        An 8-bit palette PNG (``IHDR``, ``PLTE``, a ``tEXt`` title, ``IDAT``, ``IEND``).
    """
    px = [bytearray([0] * width) for _ in range(height)]

    def rect(x0: int, y0: int, x1: int, y1: int, c: int) -> None:
        for y in range(max(0, y0), min(height, y1)):
            px[y][max(0, x0) : min(width, x1)] = bytes([c]) * (min(width, x1) - max(0, x0))

    def line(x0: int, y0: int, x1: int, y1: int, c: int) -> None:
        steps = max(abs(x1 - x0), abs(y1 - y0), 1)
        for i in range(steps + 1):
            x = x0 + (x1 - x0) * i // steps
            y = y0 + (y1 - y0) * i // steps
            if 0 <= x < width and 0 <= y < height:
                px[y][x] = c
                if y + 1 < height:
                    px[y + 1][x] = c

    rect(6, 6, width - 6, height - 6, 1)  # the panel
    rect(14, 12, 14 + width // 3, 18, 3)  # its title, as a grey bar
    left, top, right, bottom = 40, 30, width - 14, height - 26
    for k in range(5):  # horizontal grid and axis ticks
        y = top + (bottom - top) * k // 4
        rect(left, y, right, y + 1, 2)
        rect(left - 22, y - 2, left - 6, y + 2, 3)
    for k in range(9):  # vertical grid every 5 minutes, labels as bars
        x = left + (right - left) * k // 8
        rect(x, top, x + 1, bottom, 2)
        rect(x - 8, bottom + 8, x + 8, bottom + 12, 3)
    rect(left, top + (bottom - top) // 8, right, top + (bottom - top) // 8 + 1, 6)  # the 2 s alert threshold

    def p99(frac: float) -> float:  # seconds, over 09:40..10:20
        minute = frac * 40
        base = 0.18 + 0.02 * math.sin(minute * 1.7)
        if 20 <= minute < 36.2:
            return base + 1.75 * min(1.0, (minute - 20) / 2) + 0.08 * math.sin(minute * 5.3)
        if 36.2 <= minute < 39:
            return base + 1.75 * max(0.0, 1 - (minute - 36.2) / 2.8)
        return base

    def p50(frac: float) -> float:
        return 0.4 * p99(frac) ** 1.4 + 0.03

    for series, colour in ((p50, 4), (p99, 5)):
        prev = None
        for x in range(left, right):
            frac = (x - left) / (right - left)
            y = bottom - round(series(frac) / 2.3 * (bottom - top))
            if prev is not None:
                line(prev[0], prev[1], x, y, colour)
            prev = (x, y)
    rect(width - 120, 12, width - 112, 18, 4)  # legend swatches
    rect(width - 70, 12, width - 62, 18, 5)
    raw = b"".join(b"\x00" + bytes(row) for row in px)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0)
    plte = b"".join(bytes(rgb) for rgb in _PALETTE)
    text = b"Title\x00checkout latency p50 / p99 (gateway), 09:40-10:20 UTC - Grafana"
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"PLTE", plte)
        + _chunk(b"tEXt", text)
        + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )


# -- the notes -------------------------------------------------------------------------------

DEMO_ONCALL_NOTES = """\
on-call notes, sat 14 march — checkout alert (fiona)

10:02  paged: CheckoutErrorRate > 5% for 2m. gateway dashboards show 504s
       and some 503s on POST /api/checkout, p99 right at the 2s timeout.
10:04  orders logs full of "Client.Timeout exceeded while awaiting headers"
       calling payments, retrying 3x. is it payments or the network?
10:05  took a 30s cpu profile of payments (pprof/), nothing on fire cpu-wise?
10:06  goroutine dump of payments via port-forward :6060 -> payments-goroutines-*.txt
       lots of goroutines. no idea yet.
10:07  tried the heap profile too, kubectl cp died halfway (payments-heap.pb.gz
       is probably broken, kept it anyway)
10:08  raj pasted the payments cert chain in #incident, thinks mTLS expired
       after the CA rotation last week -> payments-chain.pem. have not checked.
10:09  screenshot of the grafana panel for the status page
10:10  restarted orders (did not help, made a few 502s)
10:11  postgres restarted by the dba?? few seconds of connection refused
10:12  auth pod rescheduled (node drain, unrelated?) - its log before that
       is all we have, the new pod's log got lost
10:15  billing log timestamps look off vs everything else, NTP on that node?
10:16  found a "ledger-reconcile" job someone kicked off manually at 10:00 in
       payments. cancelled it 10:16:10.
10:19  error rate back to normal. orders log here is the rotated file, starts
       at 09:50. search logs added for comparison (search was fine all along).

TODO: write up, figure out why the job can take the whole pool.
"""
