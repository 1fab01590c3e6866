"""Scheduling probe attempts: concurrency limit, pacing, rate, progress.

The runner works from plain Python and from inside a running Jupyter kernel
(which already owns an event loop): :func:`run_sync` runs the coroutine on a
private loop in a worker thread when the calling thread's loop is busy.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import os
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Generic, ParamSpec, TypeVar

from tqdm.auto import tqdm

from apiprobe.errors import InvalidParameterError

T = TypeVar("T")
P = ParamSpec("P")


@dataclass(frozen=True)
class Job(Generic[T]):
    """One unit of work due ``due`` seconds after the run starts.

    Attributes
    ----------
    due : float
        Earliest start, seconds after the run starts.
    run : callable
        Builds and awaits the work; called once.
    """

    due: float
    run: Callable[[], Awaitable[T]]


def want_progress(progress: bool | None, n_jobs: int) -> bool:
    """Resolve the ``progress`` option: None means "when the run is long enough to watch".

    ``APIPROBE_PROGRESS=0`` in the environment turns bars off (report runs set it,
    so headless HTML reports carry no progress widgets).

    Parameters
    ----------
    progress : bool or None
        The caller's choice; True or False wins.
    n_jobs : int
        Number of jobs in the run.

    Returns
    -------
    bool
        Whether to show a progress bar (None: 20 jobs or more, unless the environment says no).
    """
    if progress is not None:
        return progress
    if os.environ.get("APIPROBE_PROGRESS", "") == "0":
        return False
    return n_jobs >= 20


def check_options(
    *,
    count: int | None = None,
    interval: float | None = None,
    timeout: float | None = None,
    concurrency: int | None = None,
    rate: float | None = None,
) -> None:
    """Check the scheduling options every probe shares; None skips an option.

    Parameters
    ----------
    count : int, optional
        Attempts per target; must be at least 1.
    interval : float, optional
        Seconds between attempts; must not be negative.
    timeout : float, optional
        Seconds; must be positive.
    concurrency : int, optional
        Attempts in flight; must be at least 1.
    rate : float, optional
        Attempts per second; must be positive.

    Raises
    ------
    InvalidParameterError
        Naming the first option out of range and the value it got.
    """
    if count is not None and count < 1:
        raise InvalidParameterError(f"count must be at least 1, got {count!r}")
    if interval is not None and interval < 0:
        raise InvalidParameterError(f"interval must not be negative, got {interval!r}")
    if timeout is not None and timeout <= 0:
        raise InvalidParameterError(f"timeout must be a positive number of seconds, got {timeout!r}")
    if concurrency is not None and concurrency < 1:
        raise InvalidParameterError(f"concurrency must be at least 1, got {concurrency!r}")
    if rate is not None and rate <= 0:
        raise InvalidParameterError(f"rate must be a positive number of attempts per second, got {rate!r}")


async def run_jobs(
    jobs: Sequence[Job[T]],
    *,
    concurrency: int = 10,
    rate: float | None = None,
    progress: bool | None = None,
    desc: str = "probing",
) -> list[T]:
    """Run ``jobs`` no earlier than their due time, at most ``concurrency`` at once.

    Parameters
    ----------
    jobs
        Work items; results come back in the same order.
    concurrency
        Maximum number of jobs in flight.
    rate
        Maximum job starts per second across all workers (None: unlimited).
    progress
        Show a tqdm progress bar; None decides from the job count.
    desc
        Label of the progress bar.

    Returns
    -------
    list
        Each job's result, in the order of ``jobs``.

    Raises
    ------
    InvalidParameterError
        When ``concurrency`` is below 1 or ``rate`` is not positive.
    """
    check_options(concurrency=concurrency, rate=rate)
    order = sorted(range(len(jobs)), key=lambda i: jobs[i].due)
    results: list[Any] = [None] * len(jobs)
    loop = asyncio.get_running_loop()
    start = loop.time()
    next_slot = start
    cursor = 0
    bar = tqdm(total=len(jobs), desc=desc, disable=not want_progress(progress, len(jobs)), file=sys.stderr, leave=False)

    async def worker() -> None:
        nonlocal cursor, next_slot
        while cursor < len(order):
            index = order[cursor]
            cursor += 1
            at = start + jobs[index].due
            if rate is not None:
                at = max(at, next_slot)
                next_slot = at + 1.0 / rate
            delay = at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            results[index] = await jobs[index].run()
            bar.update(1)

    try:
        await asyncio.gather(*(worker() for _ in range(min(concurrency, len(jobs)))))
    finally:
        bar.close()
    return results


def run_sync(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run the coroutine built by ``make`` to completion and return its result.

    Outside an event loop this runs a fresh loop (:func:`new_event_loop`) in this
    thread. Inside one (a Jupyter kernel), the coroutine runs on a fresh loop in a
    worker thread, so callers never need ``nest_asyncio`` or ``await``.

    Parameters
    ----------
    make : callable
        Builds the coroutine to run (called in the thread that runs it).

    Returns
    -------
    object
        The coroutine's result; its exception propagates.
    """

    def run() -> T:
        with asyncio.Runner(loop_factory=new_event_loop) as runner:
            return runner.run(make())

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return run()
    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="apiprobe") as pool:
        return pool.submit(run).result()


def new_event_loop() -> asyncio.AbstractEventLoop:
    """A fresh event loop for a probe run: uvloop's when it is installed, else asyncio's.

    uvloop runs the same probes with less work per callback (``benchmarks/bench_probe.py``
    shows the difference). ``APIPROBE_LOOP=asyncio`` in the environment keeps the
    standard loop.

    Returns
    -------
    asyncio.AbstractEventLoop
        A new loop, not set as the thread's current loop.
    """
    if os.environ.get("APIPROBE_LOOP", "") != "asyncio":
        try:
            import uvloop
        except ImportError:
            pass
        else:
            return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def sync_twin(probe: Callable[P, Coroutine[Any, Any, T]], name: str) -> Callable[P, T]:
    """The blocking twin of an async probe: same signature, same docstring, run by :func:`run_sync`.

    Each probe is written once, as a coroutine (``aprobe_http``); its sync form
    (``probe_http = sync_twin(aprobe_http, "probe_http")``) keeps the exact
    signature for ``inspect``, type checkers and the docs.

    Parameters
    ----------
    probe : callable
        The ``async def`` probe.
    name : str
        The sync function's name.

    Returns
    -------
    callable
        A function taking the same arguments that returns the coroutine's result.
    """

    @functools.wraps(probe)
    def blocking(*args: P.args, **kwargs: P.kwargs) -> T:
        return run_sync(lambda: probe(*args, **kwargs))

    blocking.__name__ = blocking.__qualname__ = name
    return blocking


def monotonic_ms() -> float:
    """Milliseconds on the monotonic high-resolution clock used for all phase timings.

    Returns
    -------
    float
        ``time.perf_counter()`` in ms (only differences are meaningful).
    """
    return time.perf_counter() * 1000.0
