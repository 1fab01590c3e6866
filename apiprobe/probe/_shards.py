"""Splitting one probe run across processes, one per core, behind one progress bar.

A cold probe spends most of its time in the interpreter (HTTP framing, the
event loop), so one process tops out at about one core's worth of probes.
Shards are forked from a fork server that imported the probe modules once
(``forkserver``; ``spawn`` where there is none): after the first run of a
session a shard starts in milliseconds, and the caller's own threads (a
Jupyter kernel has several) are never forked. Each shard counts finished
attempts into one shared counter that the caller's bar follows.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import multiprocessing
import multiprocessing.context
import sys
from collections.abc import Callable, Sequence
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from tqdm.auto import tqdm

from apiprobe.errors import ProbeWorkerError
from apiprobe.probe.runner import want_progress

__all__ = ["run_shards", "tick"]

T = TypeVar("T")

#: Modules the fork server imports once, so every shard starts with them loaded.
_PRELOAD = ["apiprobe.probe.http"]

_counter: Any = None  # the shared attempt counter, set in a shard process


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(_PRELOAD)
        return ctx
    return multiprocessing.get_context("spawn")


def _init_shard(counter: Any) -> None:
    global _counter
    _counter = counter


def tick() -> None:
    """Count one finished attempt (in a shard process; a no-op anywhere else)."""
    if _counter is not None:
        with _counter.get_lock():
            _counter.value += 1


async def run_shards(
    work: Callable[..., T], shards: Sequence[tuple[Any, ...]], *, total: int, progress: bool | None, desc: str
) -> list[T]:
    """Run ``work(*args)`` for each ``args`` in ``shards``, each call in its own process.

    Parameters
    ----------
    work
        A module-level function (pickled by name) that calls :func:`tick` once
        per finished attempt.
    shards
        The arguments of each call; they must pickle.
    total
        Attempts across all shards, for the progress bar.
    progress
        Show a bar (None: when ``total`` is 20 or more).
    desc
        Label of the bar.

    Returns
    -------
    list
        Each call's result, in the order of ``shards``.

    Raises
    ------
    ProbeWorkerError
        When a shard process died instead of returning (the usual cause: a
        script that starts probes at import time, which every new process
        re-runs; guard it with ``if __name__ == "__main__":``). An exception
        raised inside ``work`` propagates as it is.
    """
    ctx = _context()
    counter = ctx.Value("q", 0)
    loop = asyncio.get_running_loop()
    bar = tqdm(total=total, desc=desc, disable=not want_progress(progress, total), file=sys.stderr, leave=False)
    pool = concurrent.futures.ProcessPoolExecutor(
        max_workers=len(shards), mp_context=ctx, initializer=_init_shard, initargs=(counter,)
    )
    finished = False
    try:
        futures = [loop.run_in_executor(pool, work, *args) for args in shards]
        pending: set[asyncio.Future[T]] = set(futures)
        while pending:
            _, pending = await asyncio.wait(pending, timeout=0.25)
            bar.update(counter.value - bar.n)
        results = [f.result() for f in futures]
        finished = True
        return results
    except BrokenProcessPool as exc:
        raise ProbeWorkerError(
            f"a probe worker process died before it finished ({exc}). In a script, start probes with "
            'workers > 1 only under `if __name__ == "__main__":` (each worker process re-imports the '
            "script), or use workers=1"
        ) from exc
    finally:
        bar.close()
        if finished:
            pool.shutdown(wait=True)  # the workers are idle: this returns at once
        else:  # cancelled (a deadline, Ctrl-C) or failed: stop the workers now, do not wait for their runs
            _stop(pool)


def _stop(pool: concurrent.futures.ProcessPoolExecutor) -> None:
    """Kill a pool's worker processes and release it without blocking."""
    # ProcessPoolExecutor has no public way to stop busy workers before Python 3.14
    # (terminate_workers); its process table is the only handle on them.
    processes = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.kill()
    for process in processes:
        process.join(1.0)  # reap them: a killed process is gone in milliseconds
