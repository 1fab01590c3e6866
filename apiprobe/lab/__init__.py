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

Random behaviour is seeded per endpoint from ``seed``: two labs with the same
seed answer their n-th ``/jitter`` or ``/flaky`` request identically.
"""

from __future__ import annotations

from apiprobe.lab._lab import Endpoint, FaultLab

__all__ = ["Endpoint", "FaultLab"]
