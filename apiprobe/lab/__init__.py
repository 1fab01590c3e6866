"""The fault lab: real servers on loopback that reproduce API faults on demand.

>>> from apiprobe.lab import FaultLab
>>> with FaultLab(seed=0) as lab:                      # doctest: +SKIP
...     lab.url("delay", ms=200)                       # 'http://127.0.0.1:PORT/delay?ms=200'
...     lab.describe()                                 # name, url, fault, expect per endpoint

Every port is ephemeral and bound to ``host`` (default ``127.0.0.1``); the
servers run on an asyncio loop in a background thread. ``lab.url(name,
**query)`` builds a URL with query overrides; ``lab.address(name)`` gives
``(host, port)`` for TCP-level probes.

HTTP endpoints (one plain HTTP/1.1 port, keep-alive, ``Connection: close`` honoured)

=============  ==============================================  ====================================
name           path and query (defaults)                       behaviour
=============  ==============================================  ====================================
``ok``         ``/ok``                                         200, small JSON body
``delay``      ``/delay?ms=50``                                waits ``ms`` before the head, 200
``jitter``     ``/jitter?median_ms=20&sigma=0.6&spike_p=0.05``  seeded lognormal delay, plus with
                                                               probability ``spike_p`` a 300–800 ms
                                                               spike; body reports ``delay_ms``
``slow_body``  ``/slow-body?chunks=10&interval_ms=200``        head (full Content-Length) at once,
               ``&chunk_bytes=64``                             then one chunk every ``interval_ms``
``reset``      ``/reset?bytes=512&content_length=4096``        head announcing ``content_length``,
               ``&after_ms=50``                                ``bytes`` of body, then TCP RST
``close``      ``/close``                                      reads the request, closes silently
``garbage``    ``/garbage``                                    ``SSH-2.0-OpenSSH_9.6`` banner, close
``flaky``      ``/flaky?p=0.3``                                503 with probability ``p`` (seeded)
``status``     ``/status/{code}`` (``lab.url("status",         that status (200–599), small body
               code=404)``, default 500)
``metrics``    ``/metrics``                                    the lab's real traffic in the Go
                                                               client's names (promhttp counters,
                                                               histograms, in-flight, goroutines)
``pool``       its own port: ``/?ms=50``, ``/metrics``         serves two requests at a time, the
                                                               rest queue; its ``/metrics`` shows
                                                               the slots as a database/sql pool
=============  ==============================================  ====================================

TCP-level endpoints (each on its own port)

=============  ==================================================================================
``blackhole``  accepts connections, reads and discards, never answers: a read timeout
               (the lab closes its side only when the client closes, or at stop)
``refused``    a socket bound but not listening: the kernel answers SYN with RST (refused)
``syn_drop``   a ``listen(0)`` socket whose accept queue the lab fills itself, so the kernel
               drops further SYNs: the client's connect times out (Linux keeps retransmitting
               the SYN, at 1 s intervals on kernels with ``tcp_syn_linear_timeouts``, then
               backing off, for about two minutes)
=============  ==================================================================================

TLS endpoints (``tls=True``; each on its own port, serving every HTTP route above)

=============  ==================================================================================
``https_ok``   leaf for ``127.0.0.1``, ``localhost``, ``lab.apiprobe.test`` issued by a CA
               generated at start; verify with ``lab.ca_path``.
               ``lab.url("delay", over="https_ok", ms=100)`` reaches another route over TLS
=============  ==================================================================================

Broken-chain endpoints (``FaultLab(tls_faults=True)``; each on its own port, one defect each)

All are issued from a CA hierarchy generated at start: the lab root (the only
certificate in ``lab.ca_path``, ten years) → the lab intermediate
(``lab.intermediate_path``) → a 90-day leaf for the lab names, unless the
defect says otherwise. ``lab.chain_path(name)`` is the PEM file of what an
endpoint sends (``.key`` next to it), ``lab.aia_url`` a plain-HTTP URL that
serves the intermediate (DER), as named by the AIA extension of
``https_missing_intermediate``. ``apiprobe.probe.tls.probe_tls`` names each defect.

==============================  ======================================================================
``https_chain_ok``              leaf + intermediate, in order: valid when trusting ``lab.ca_path``
``https_expired``               leaf expired two days ago (intermediate sent)
``https_not_yet_valid``         leaf valid only from two days from now
``https_expiring_soon``         leaf expiring in 20 days (a warning, not a failure)
``https_wrong_host``            leaf for ``wrong.apiprobe.test``, ``www.wrong.apiprobe.test`` only
``https_missing_intermediate``  only the leaf; its issuer (the intermediate) is not sent; AIA
                                ``caIssuers`` = ``lab.aia_url``
``https_self_signed``           a self-signed leaf (``CA:FALSE``, issuer = subject)
``https_untrusted_root``        complete leaf + intermediate chain to another root, not in ``ca_path``
``https_wrong_order``           leaf, upper intermediate, issuing intermediate (order swapped)
``https_root_sent``             leaf + intermediate + the lab root (needless)
``https_weak_key``              RSA 1024-bit leaf (served at OpenSSL security level 0)
``https_sha1``                  leaf signed ``ecdsa-with-SHA1`` (cryptography refuses to sign with
                                SHA-1, so the lab re-signs the DER by hand; security level 0)
``https_leaf_is_ca``            leaf with ``basicConstraints CA:TRUE``
==============================  ======================================================================

Random behaviour is seeded per endpoint from ``seed``: two labs with the same
seed answer their n-th ``/jitter`` or ``/flaky`` request identically.

``lab.dns`` is a DNS server on the same host (UDP and TCP, ``lab.dns.spec`` is
its ``IP:port``) serving :func:`default_lab_zone`: ``ok``, ``alias`` (CNAME),
``slow`` (300 ms), ``jitter``, ``nx`` (NXDOMAIN), ``fail`` (SERVFAIL),
``refused``, ``drop`` (never answers), ``flap``, ``short-ttl``, ``big``
(truncated over UDP), ``split`` and ``v4only``, all under ``lab.test``.
:class:`DnsServer` runs one on its own, with any zone.

:func:`run_resilience_scenario` is a short piece of real traffic for handbook
§4: a client service ("checkout", zap JSON logs) whose workers call a flaky
upstream ("inventory", zerolog JSON logs) through a gobreaker circuit breaker,
retrying with a chosen policy (without jitter by default) and falling back to
a cache; the upstream fails during an outage window. The logs it writes show a
retry storm, a flapping breaker and a fallback period; the returned
:class:`ResilienceScenario` says what really happened.


The names load lazily (PEP 562): they are listed once, in ``__init__.pyi``.
"""

from apiprobe._lazy import lazy_surface as _lazy_surface

__all__, __getattr__, __dir__ = _lazy_surface(__name__, __file__)
