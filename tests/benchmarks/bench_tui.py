"""Benchmark: the wizard's start-up and how long its main thread stalls while generating.

(a) Time from process start to the first screen being ready: a fresh `python -c` makes the app
    with make_app(), runs it headless (run_test) and prints once step 1 is mounted and drawn.
    Reference measured in the same run: the same for a bare Textual app with one Input.
(b) The largest gap of a 10 ms timer in the app while a thread worker generates the complete
    profile (two nodes) with RSA 4096 keys (keys, signing, the atomic write) and for half a
    second after, while the screen shows the result. Worst of --rounds runs. Reference: the
    same timer while idle.
    Target: below 100 ms.

    python tests/benchmarks/bench_tui.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STARTUP = """
import asyncio
{imports}
async def main():
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        print("ready", flush=True)
asyncio.run(main())
"""
WIZARD = """from wizard.tui import make_app
app = make_app()"""
BARE = """from textual.app import App
from textual.widgets import Input
class Bare(App):
    def compose(self):
        yield Input()
app = Bare()"""


def time_to_ready(imports: str) -> float:
    """Seconds from spawning the interpreter to its "ready" line."""
    code = STARTUP.format(imports=imports)
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    elapsed = time.perf_counter() - start
    process.wait()
    if line.strip() != "ready":
        raise SystemExit(f"the app did not start: {line!r}")
    return elapsed


async def measure_stalls(directory: Path) -> tuple[float, float, float, int]:
    """(max gap while generating, max gap while idle, generation seconds, ticks) in seconds."""
    from wizard.spec import ClusterSpec, Node
    from wizard.tui import make_app
    from wizard.tui.screens.generate import GenerateScreen

    spec = ClusterSpec.example()
    spec.profile = "complete"  # every certificate, kubeconfig and the distribution plan
    spec.nodes = [Node("node-1", "192.168.214.101"), Node("node-2", "192.168.214.102")]
    spec.key.size = 4096
    app = make_app(spec)
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    async with app.run_test(size=(120, 36)) as pilot:
        for _ in range(3):
            await pilot.press("ctrl+n")
        screen = app.screen
        assert isinstance(screen, GenerateScreen)
        app.state.output_dir = str(directory)
        await pilot.pause()

        last[0] = time.perf_counter()
        timer = app.set_interval(0.01, tick)
        await asyncio.sleep(1.0)
        idle = max(gaps)
        gaps.clear()

        start = time.perf_counter()
        last[0] = start
        screen.action_generate()
        while screen.running:
            await asyncio.sleep(0.005)
        elapsed = time.perf_counter() - start
        await asyncio.sleep(0.5)  # the result shown, the directory surveyed again
        timer.stop()
        if app.state.result is None:
            raise SystemExit("generation failed: " + str(screen.query_one("#result").render()))
        return max(gaps), idle, elapsed, len(gaps)


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    ours = [time_to_ready(WIZARD) for _ in range(args.rounds)]
    bare = [time_to_ready(BARE) for _ in range(args.rounds)]
    print(f"(a) start-up to first screen, median of {args.rounds}:")
    print(f"    wizard      {statistics.median(ours) * 1000:7.0f} ms  (min {min(ours) * 1000:.0f})")
    print(f"    bare app    {statistics.median(bare) * 1000:7.0f} ms  (min {min(bare) * 1000:.0f})")
    print(f"    ratio       {statistics.median(ours) / statistics.median(bare):7.2f}")

    runs = []
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory() as scratch:
            runs.append(asyncio.run(measure_stalls(Path(scratch) / "k8s-certs")))
    worst = max(run[0] for run in runs)
    idle = max(run[1] for run in runs)
    verdict = "ok" if worst < 0.100 else "ABOVE TARGET"
    print(
        f"(b) main-thread stall while generating the complete profile, RSA 4096, {len(runs)} runs:"
    )
    for gap, _idle, elapsed, ticks in runs:
        print(
            f"    run: generation {elapsed * 1000:5.0f} ms, {ticks:3d} ticks, "
            f"largest gap {gap * 1000:5.1f} ms"
        )
    print(f"    largest gap {worst * 1000:7.1f} ms  (target < 100 ms: {verdict})")
    print(f"    idle gap    {idle * 1000:7.1f} ms  (same timer, nothing running)")
    print(f"    ratio       {worst / idle:7.2f}")


if __name__ == "__main__":
    main()
