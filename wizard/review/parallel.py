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
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from typing import Any, Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")
Message = TypeVar("Message")
Answer = TypeVar("Answer")

MIN_ITEMS = 2000  # below this a fork costs more than it saves

# What the forked children work on: set just before they are forked, read by _run_slice.
_WORK: (
    tuple[Callable[[Sequence[Any]], Any], Sequence[Any], Callable[[Any], object] | None] | None
) = None


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
    function, items, keep = _WORK
    result = function(items[start:end])
    if keep is not None:
        _KEPT.append(keep(result))
    return result


# What `keep` kept in this (child) process, for `Work.ask`; empty in the parent.
_KEPT: list[Any] = []


def _answer(answer: Callable[[list[Any], Any], Any], message: Any) -> Any:
    # one call in each child: none takes a second while the others have not taken theirs
    assert _BARRIER is not None, "a child forked without a barrier"
    _BARRIER.wait(_BARRIER_SECONDS)
    return answer(_KEPT, message)


# Made before the children are forked (they inherit it): see _answer.
_BARRIER: Any = None


_BARRIER_SECONDS = 600.0


class Work(Generic[Result]):
    """The results of `split_work`, and its children, kept until the work is done."""

    def __init__(self, results: list[Result], pool: ProcessPoolExecutor | None, children: int):
        self.results = results
        self._pool = pool
        self._children = children
        self._asked: list[Future[Any]] = []

    def ask(self, answer: Callable[[list[Any], Message], Answer], message: Message) -> None:
        """Start `answer(kept, message)` in each child, `kept` being what `keep` kept of each
        of the slices that child did; `answers` gives what they return."""
        if self._pool is None or self._children == 0:
            return
        try:
            self._asked = [
                self._pool.submit(_answer, answer, message) for _ in range(self._children)
            ]
        except (BrokenProcessPool, RuntimeError):  # a child died: nobody to ask
            self._asked = []

    def answers(self) -> list[Answer]:
        """What each child's `answer` returned; a child that died (or nothing asked) gives
        nothing: the caller does that part of the work itself."""
        answers = []
        for future in self._asked:
            with suppress(BrokenProcessPool, threading.BrokenBarrierError):
                answers.append(future.result())
        self._asked = []
        return answers


@contextmanager
def split_work(
    function: Callable[[Sequence[Item]], Result],
    items: Sequence[Item],
    *,
    keep: Callable[[Result], object] | None = None,
    min_items: int | None = None,
    workers: int | None = None,
    chunk: int | None = None,
    here: float = 1.0,
) -> Iterator[Work[Result]]:
    """`function` over consecutive slices of `items`, one slice here and one per forked child;
    the results in slice order (`Work.results`). Runs `function(items)` here alone when forking
    does not pay (fewer than `min_items`, default MIN_ITEMS) or is not safe, or when no child
    can start.

    With `chunk`, a child's slice is done in pieces of at most that many items, each sent back
    as it is done: a big result then never sits here twice (pickled and unpickled) at once.
    `here` is this process's share against a child's (below 1 when it also has the children's
    results to unpickle).

    With `keep`, a child calls `keep(result)` on each of its results before sending it (to
    take out of it what need not travel) and keeps what that returns, until the block ends:
    `Work.ask` hands it to a function run in each child."""
    parts = min(workers or os.cpu_count() or 1, max(1, len(items)))
    smallest = MIN_ITEMS if min_items is None else min_items
    if parts < 2 or len(items) < smallest or not can_fork():
        yield Work([function(items)], None, 0)
        return
    global _WORK, _BARRIER
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
    _WORK = (function, items, keep)
    context = multiprocessing.get_context("fork")
    try:
        _BARRIER = context.Barrier(parts - 1) if keep is not None else None
        pool = ProcessPoolExecutor(parts - 1, mp_context=context)
    except OSError:  # no fork for us (out of processes or memory): do it all here
        _WORK = _BARRIER = None
        yield Work([function(items)], None, 0)
        return
    try:
        with pool:
            try:
                futures = [pool.submit(_run_slice, start, end) for start, end in bounds[1:]]
            except OSError:  # as above
                pool.shutdown(wait=True, cancel_futures=True)
                yield Work([function(items)], None, 0)
                return
            results = [function(items[first_start:first_end])]
            broken = False
            for future, (start, end) in zip(futures, bounds[1:], strict=True):
                try:
                    results.append(future.result())
                except BrokenProcessPool:  # a child was killed: do its share here
                    broken = True
                    results.append(function(items[start:end]))
            _WORK = None
            yield Work(results, None if broken or keep is None else pool, parts - 1)
    finally:
        _WORK = _BARRIER = None


def run_split(
    function: Callable[[Sequence[Item]], Result],
    items: Sequence[Item],
    *,
    min_items: int | None = None,
    workers: int | None = None,
    chunk: int | None = None,
    here: float = 1.0,
) -> list[Result]:
    """`function` over consecutive slices of `items` (see `split_work`), the results in
    slice order."""
    with split_work(
        function, items, min_items=min_items, workers=workers, chunk=chunk, here=here
    ) as work:
        return work.results
