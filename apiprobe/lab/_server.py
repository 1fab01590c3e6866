"""The one lifecycle of the lab's threaded servers: new → running → stopped, never restarted.

:class:`FaultLab` and :class:`DnsServer` bind their sockets in the caller's
thread, run an asyncio loop in a daemon thread (:func:`run_loop`) and tear
everything down through one ``weakref.finalize``, so ``stop()``, a failed
start, garbage collection and interpreter exit all clean up the same way.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Callable
from types import TracebackType
from typing import Any, ClassVar, Self

from apiprobe.errors import LabError

__all__ = ["ManagedServer", "run_loop"]


def run_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Thread body: run a server loop until it is stopped, then close it."""
    asyncio.set_event_loop(loop)
    try:
        loop.run_forever()
    finally:
        try:
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()


class ManagedServer:
    """Start/stop, context manager and state checks shared by the lab's servers.

    A subclass names itself in ``_what`` (``"the fault lab"``) for messages,
    calls :meth:`_init_lifecycle` in ``__init__``, and implements
    ``_start()`` (bind and launch; may raise) and ``_teardown_call()`` (the
    function and argument that release everything, run exactly once).

    Attributes
    ----------
    running : bool
        Whether the server is up.
    """

    _what: ClassVar[str] = "the server"

    def _init_lifecycle(self) -> None:
        self._state = "new"  # -> "running" -> "stopped"
        self._lock = threading.Lock()
        self._finalizer: weakref.finalize[Any, Any] | None = None

    def _start(self) -> None:  # pragma: no cover - every subclass implements it
        raise NotImplementedError

    def _teardown_call(self) -> tuple[Callable[[Any], None], Any]:  # pragma: no cover
        raise NotImplementedError

    def _before_start(self) -> None:
        """Hook run under the lock before the finalizer is registered (e.g. temp dirs)."""

    def _after_stop(self) -> None:
        """Hook run under the lock after the teardown."""

    def start(self) -> Self:
        """Start the server (no-op if already running).

        Returns
        -------
        object
            The server itself, so ``server = Server().start()`` works.

        Raises
        ------
        LabError
            If it was stopped already, or could not bind or start.
        """
        with self._lock:
            if self._state == "running":
                return self
            if self._state == "stopped":
                raise LabError(f"this {type(self).__name__} was stopped; create a new one")
            # Registered first, so that a partial start, stop() and a server that is garbage
            # collected or still running at interpreter exit are all torn down the same way.
            self._before_start()
            func, arg = self._teardown_call()
            self._finalizer = weakref.finalize(self, func, arg)
            try:
                self._start()
            except Exception as exc:
                self._finalizer()
                self._state = "stopped"
                raise LabError(f"{self._what} could not start: {exc}") from exc
            self._state = "running"
            return self

    def stop(self) -> None:
        """Close every socket, stop the loop and join its thread. Idempotent.

        A server that was never started becomes stopped too; a stopped server
        cannot be restarted.
        """
        with self._lock:
            if self._state == "stopped":
                return
            self._state = "stopped"
            if self._finalizer is not None:
                self._finalizer()
            self._after_stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether the server is up."""
        return self._state == "running"

    def _require_running(self) -> None:
        if self._state != "running":
            name = type(self).__name__
            hint = f"create a new {name}" if self._state == "stopped" else "call start() or use 'with'"
            raise LabError(f"{self._what} is not running ({self._state}); {hint}")
