"""TLS analysis: a certificate chain checked per trust store, explained the way Go fails.

:func:`diagnose_chain` checks a chain given as PEM text, a PEM/DER file, or a
pasted ``openssl s_client -showcerts`` output (a postmortem: pass ``at=`` to
evaluate expiry at the time of the incident); :func:`apiprobe.probe.probe_tls`
captures the chain exactly as a live server sends it and hands it to the same
analysis. Both return a :class:`TlsReport`. :func:`detect_tls_faults` turns
reports into findings, :func:`expiry_table` lays out every certificate's
validity, and :func:`go_error_causes` maps a Go log line back to the defects.

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

from apiprobe.analyze.tls._diagnose import diagnose_chain
from apiprobe.analyze.tls._findings import detect_tls_faults, expiry_table
from apiprobe.analyze.tls._go_errors import GO_LOG_CAUSES, go_error_causes
from apiprobe.analyze.tls._report import TlsReport
from apiprobe.analyze.tls._verdicts import TLS_CHECKS

__all__ = [
    "GO_LOG_CAUSES",
    "TLS_CHECKS",
    "TlsReport",
    "detect_tls_faults",
    "diagnose_chain",
    "expiry_table",
    "go_error_causes",
]
