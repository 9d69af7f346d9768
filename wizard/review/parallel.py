"""Spread the review's CPU-bound steps (parsing, signature checks) over the machine's cores.

Python runs one thread of this work at a time, so a directory of thousands of certificates is
split between this process and forked children. Forked children inherit the work itself; only
their results are pickled back. Forking happens only on Linux, only when this process has a
single thread (a threaded process, such as the TUI, can deadlock a forked child), and only for
work large enough to repay it. Everywhere else the same function simply runs here.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

MIN_ITEMS = 2000  # below this a fork costs more than it saves

# What the forked children work on: set just before they are forked, read by _run_slice.
_WORK: tuple[Callable[[Sequence[Any]], Any], Sequence[Any]] | None = None


def can_fork() -> bool:
    """True where forking children is safe: Linux, one thread, more than one core."""
    return (
        sys.platform.startswith("linux")
        and threading.active_count() == 1
        and (os.cpu_count() or 1) > 1
    )


def _bounds(count: int, parts: int, here: float = 1.0) -> list[tuple[int, int]]:
    """Consecutive slices of `count` items: the first weighs `here`, each other one 1."""
    first = round(count * here / (here + parts - 1))
    step, extra = divmod(count - first, parts - 1)
    bounds, start = [(0, first)], first
    for index in range(parts - 1):
        end = start + step + (1 if index < extra else 0)
        bounds.append((start, end))
        start = end
    return bounds


def _run_slice(start: int, end: int) -> Any:
    assert _WORK is not None, "a child forked without work"
    function, items = _WORK
    return function(items[start:end])


def run_split(
    function: Callable[[Sequence[Item]], Result],
    items: Sequence[Item],
    *,
    min_items: int | None = None,
    workers: int | None = None,
    chunk: int | None = None,
    here: float = 1.0,
) -> list[Result]:
    """`function` over consecutive slices of `items`, one slice here and one per forked child;
    the results in slice order. Runs `function(items)` here alone when forking does not pay
    (fewer than `min_items`, default MIN_ITEMS) or is not safe, or when no child can start.

    With `chunk`, a child's slice is done in pieces of at most that many items, each sent back
    as it is done: a big result then never sits here twice (pickled and unpickled) at once.
    `here` is this process's share against a child's (below 1 when it also has the children's
    results to unpickle)."""
    parts = min(workers or os.cpu_count() or 1, max(1, len(items)))
    smallest = MIN_ITEMS if min_items is None else min_items
    if parts < 2 or len(items) < smallest or not can_fork():
        return [function(items)]
    global _WORK
    bounds = _bounds(len(items), parts, here)
    first_start, first_end = bounds[0]
    if chunk is not None:
        bounds = bounds[:1] + [
            (start + offset, min(start + offset + chunk, end))
            for start, end in bounds[1:]
            for offset in range(0, end - start, chunk)
        ]
    sys.stdout.flush()  # a child must not write out what this process had buffered
    sys.stderr.flush()
    _WORK = (function, items)
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(parts - 1, mp_context=context) as pool:
            futures = [pool.submit(_run_slice, start, end) for start, end in bounds[1:]]
            results = [function(items[first_start:first_end])]
            for future, (start, end) in zip(futures, bounds[1:], strict=True):
                try:
                    results.append(future.result())
                except BrokenProcessPool:  # a child was killed: do its share here
                    results.append(function(items[start:end]))
        return results
    except OSError:  # no fork for us (out of processes or memory): do it all here
        return [function(items)]
    finally:
        _WORK = None
