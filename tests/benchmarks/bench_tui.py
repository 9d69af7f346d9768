"""Benchmark: the wizard's first paint, Inspect, cancelling a run, and main-thread stalls.

Every figure is a median of --rounds runs, next to a reference measured in the same run (the
machine is shared, so only the ratio is stable). Nothing here asserts a time; it prints each
figure, its target and "met" or "NOT met".

(paint) Process start to the first screen drawn: a fresh interpreter makes the app with
    make_app() and runs it headless at 80×24 (run_test). "first paint": the first frame of a
    screen with something on it (step 1; the bare app's Input) is composited. "ready": step
    1 is mounted, drawn and idle (run_test entered and a pilot.pause()). Reference: the same
    for a bare Textual app with one Input, runs interleaved. The CPU time each process had
    used by then is printed too (a loaded machine inflates it less than the time; the
    target is on the time).
    Measured twice on a copy of the package (these machines set PYTHONDONTWRITEBYTECODE=1, so
    the package's bytecode is never written): "no bytecode" runs the copy with -B and no
    __pycache__ (every module of the package compiled at each start, as here), "bytecode" after
    `python -m compileall` on the copy (as a pip-installed package has it). Textual's own
    bytecode (site-packages) is there in both, for the wizard and the bare app alike.
    Target: ratio ≤ 1.8.
(inspect) Step 5 on a complete set of 60 certificates (26 nodes, RSA 2048): from app.goto(5) to
    the list filled and drawn. Reference: the same list of 60 plain options on a bare screen.
    Target: ≤ 0.3 s.
(cancel) Esc during a run (complete profile, RSA 4096, two nodes), sent once the first key is
    done: from the key event to the run stopped (its Failed message handled, nothing written).
    Reference: the median time of one RSA 4096 key (what a run that waits for the key being
    made would take at least). Target: ≤ 0.5 s.
(stall) The largest gap of a 10 ms timer in the app while a thread worker generates the
    complete profile with RSA 4096 keys, and for half a second after. Reference: the same timer
    while idle. Target: below 100 ms.

    python tests/benchmarks/bench_tui.py [--rounds 7] [--only paint inspect cancel stall]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STARTUP = """
import asyncio
import time
from textual.screen import Screen
_composite = Screen._compositor_refresh
_SYSTEM = {{"textual-toastrack", "textual-tooltip"}}
def _composite_and_say(self):
    _composite(self)
    if not _said and self is self.app.screen and any(c.id not in _SYSTEM for c in self.children):
        _said.append(True)
        print("painted", time.process_time(), flush=True)
_said = []
Screen._compositor_refresh = _composite_and_say
{imports}
async def main():
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        print("ready", time.process_time(), flush=True)
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


# bytecode next to the sources or none at all: a PYTHONPYCACHEPREFIX would hide which
CHILD_ENV = {
    **{k: v for k, v in os.environ.items() if k != "PYTHONPYCACHEPREFIX"},
    "PYTHONDONTWRITEBYTECODE": "1",
}


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def time_to_ready(
    imports: str, package_root: Path, flags: tuple[str, ...] = ()
) -> tuple[float, float, float, float]:
    """Seconds from spawning the interpreter to its first frame ("painted") and to its
    "ready" line, importing `wizard` from `package_root`; then the CPU seconds the child
    had used at those two moments (its interpreter's start-up included), which a loaded
    machine inflates less than the time."""
    code = STARTUP.format(imports=imports)
    env = {**CHILD_ENV, "PYTHONPATH": str(package_root)}
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, *flags, "-c", code],
        stdout=subprocess.PIPE,
        text=True,
        cwd=package_root,
        env=env,
    )
    assert process.stdout is not None
    painted_line = process.stdout.readline()
    painted = time.perf_counter() - start
    line = process.stdout.readline()
    elapsed = time.perf_counter() - start
    process.wait()
    said = (painted_line.split()[:1], line.split()[:1])
    if said != (["painted"], ["ready"]):
        raise SystemExit(f"the app did not start: {painted_line!r} {line!r}")
    return painted, elapsed, float(painted_line.split()[1]), float(line.split()[1])


def package_copy(scratch: Path) -> Path:
    """A copy of the wizard package without any __pycache__; returns the folder holding it."""
    root = scratch / "package"
    shutil.copytree(
        ROOT / "wizard", root / "wizard", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    return root


def paint(rounds: int) -> None:
    """(paint): both caching cases, wizard and bare interleaved."""
    print(f"(paint) process start to first screen at 80×24, median of {rounds} (interleaved):")
    widgets, inputs = asyncio.run(step_one_widgets())
    print(f"    step 1 mounts {widgets} widgets ({inputs} Inputs); the bare app 1 Input")
    with tempfile.TemporaryDirectory() as scratch:
        root = package_copy(Path(scratch))
        for label in ("no bytecode", "bytecode"):
            if label == "bytecode":
                subprocess.run(
                    [sys.executable, "-m", "compileall", "-q", str(root / "wizard")],
                    check=True,
                    stdout=subprocess.DEVNULL,
                    env=CHILD_ENV,
                )
            assert any(root.rglob("*.pyc")) == (label == "bytecode")
            time_to_ready(WIZARD, root, ("-B",))  # warm the page cache
            ours, bare = [], []
            for _ in range(rounds):
                ours.append(time_to_ready(WIZARD, root, ("-B",)))
                bare.append(time_to_ready(BARE, root, ("-B",)))
            for index, moment in enumerate(("first paint", "ready")):
                wizard = statistics.median(times[index] for times in ours)
                reference = statistics.median(times[index] for times in bare)
                ratio = wizard / reference
                print(
                    f"    {label if index == 0 else '':12} {moment:11} wizard "
                    f"{wizard * 1000:5.0f} ms, bare {reference * 1000:4.0f} ms, ratio "
                    f"{ratio:4.2f} (target ≤ 1.8: {verdict(ratio <= 1.8)})"
                )
            for index, moment in enumerate(("first paint", "ready"), start=2):
                wizard = statistics.median(times[index] for times in ours)
                reference = statistics.median(times[index] for times in bare)
                print(
                    f"    {'':12} {moment:11} CPU: wizard {wizard * 1000:5.0f} ms, bare "
                    f"{reference * 1000:4.0f} ms, ratio {wizard / reference:4.2f}"
                )


async def step_one_widgets() -> tuple[int, int]:
    """(widgets step 1 mounts at 80×24, of them the Inputs): what its first frame is built
    from."""
    from textual.widgets import Input

    from wizard.tui import make_app

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        widgets = list(app.screen.walk_children())
        return len(widgets), sum(isinstance(widget, Input) for widget in widgets)


def make_inspect_set(directory: Path) -> object:
    """The complete profile with 26 nodes (60 certificates), RSA 2048, written to `directory`;
    returns the spec."""
    from wizard.generate import generate_files
    from wizard.spec import ClusterSpec, Node
    from wizard.store import write_files

    spec = ClusterSpec.example()
    spec.profile = "complete"
    spec.kubelet = "certificates"
    spec.nodes = [Node(f"node-{i}", f"192.168.215.{i + 1}") for i in range(26)]
    write_files(directory, generate_files(spec))
    return spec


async def time_inspect(spec: object, directory: Path) -> tuple[float, int]:
    """(seconds from goto(5) to the list drawn, certificates listed)."""
    from textual.widgets import OptionList

    from wizard.tui import make_app
    from wizard.tui.screens.inspect import InspectScreen

    app = make_app(spec)  # type: ignore[arg-type]
    async with app.run_test(size=(120, 40)) as pilot:
        app.state.output_dir = str(directory)
        app.state.mark_previewed()
        await pilot.pause()
        start = time.perf_counter()
        await app.goto(5)
        await pilot.pause()
        elapsed = time.perf_counter() - start
        assert isinstance(app.screen, InspectScreen)
        return elapsed, app.screen.query_one("#certificates", OptionList).option_count


async def time_plain_list(count: int) -> float:
    """The reference: a bare screen with an OptionList of `count` plain options, pushed."""
    from textual.app import App, ComposeResult
    from textual.screen import Screen
    from textual.widgets import OptionList

    class ListScreen(Screen[None]):
        def compose(self) -> ComposeResult:
            yield OptionList(*[f"✓ certificate-{i}.pem valid" for i in range(count)])

    class Bare(App[None]):
        pass

    app = Bare()
    async with app.run_test(size=(120, 40)) as pilot:
        start = time.perf_counter()
        await app.push_screen(ListScreen())
        await pilot.pause()
        return time.perf_counter() - start


def inspect(rounds: int) -> None:
    """(inspect)."""
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch) / "k8s-certs"
        spec = make_inspect_set(directory)
        asyncio.run(time_inspect(spec, directory))  # warm: imports, page cache
        ours, plain = [], []
        for _ in range(rounds):
            elapsed, listed = asyncio.run(time_inspect(spec, directory))
            ours.append(elapsed)
            plain.append(asyncio.run(time_plain_list(listed)))
    median = statistics.median(ours)
    print(f"(inspect) step 5 over {listed} certificates (RSA 2048), median of {rounds}:")
    print(
        f"    wizard {median * 1000:5.0f} ms (max {max(ours) * 1000:.0f}), plain list "
        f"{statistics.median(plain) * 1000:4.0f} ms, ratio "
        f"{median / statistics.median(plain):4.2f} (target ≤ 300 ms: {verdict(median <= 0.3)})"
    )


def generation_spec(size: int = 4096) -> object:
    from wizard.spec import ClusterSpec, Node

    spec = ClusterSpec.example()
    spec.profile = "complete"  # every certificate, kubeconfig and the distribution plan
    spec.nodes = [Node("node-1", "192.168.214.101"), Node("node-2", "192.168.214.102")]
    spec.key.size = size
    return spec


async def on_generate_screen(directory: Path, body: Callable[..., object]) -> object:
    """Run `body(app, pilot, screen)` on step 4 with the output directory set."""
    from wizard.tui import make_app
    from wizard.tui.screens.generate import GenerateScreen

    app = make_app(generation_spec())  # type: ignore[arg-type]
    async with app.run_test(size=(120, 36)) as pilot:
        app.state.mark_previewed()
        await app.goto(4)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, GenerateScreen)
        app.state.output_dir = str(directory)
        await pilot.pause()
        return await body(app, pilot, screen)  # type: ignore[misc]


async def time_cancel(directory: Path) -> float:
    """Seconds from Esc (pressed once the first key is done) to the run stopped."""

    async def body(app: object, pilot: object, screen: object) -> float:
        screen.action_generate()  # type: ignore[attr-defined]
        while not screen._steps:  # type: ignore[attr-defined]
            await asyncio.sleep(0.005)
        start = time.perf_counter()
        # As a terminal would send it; pilot.press would also wait for the process to go idle,
        # which the key threads left running (thrown away, never waited for) delay by ~1 s.
        app.simulate_key("escape")  # type: ignore[attr-defined]
        while screen.running:  # type: ignore[attr-defined]
            await asyncio.sleep(0.002)
        elapsed = time.perf_counter() - start
        if directory.exists() and any(directory.iterdir()):
            raise SystemExit(f"cancel left files in {directory}")
        return elapsed

    return await on_generate_screen(directory, body)  # type: ignore[return-value]


def one_key_seconds() -> float:
    from wizard import pki

    start = time.perf_counter()
    pki.new_private_key("rsa", 4096)
    return time.perf_counter() - start


def cancel(rounds: int) -> None:
    """(cancel)."""
    times, keys = [], []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as scratch:
            times.append(asyncio.run(time_cancel(Path(scratch) / "k8s-certs")))
        keys.append(one_key_seconds())
    median = statistics.median(times)
    print(f"(cancel) Esc during an RSA 4096 run of the complete profile, median of {rounds}:")
    print(
        f"    cancel {median * 1000:5.0f} ms (max {max(times) * 1000:.0f}), one RSA 4096 key "
        f"{statistics.median(keys) * 1000:4.0f} ms (target ≤ 500 ms: {verdict(median <= 0.5)})"
    )


async def measure_stalls(directory: Path) -> tuple[float, float, float, int]:
    """(max gap while generating, max gap while idle, generation seconds, ticks) in seconds."""
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    async def body(app: object, pilot: object, screen: object) -> tuple[float, float, float, int]:
        last[0] = time.perf_counter()
        timer = app.set_interval(0.01, tick)  # type: ignore[attr-defined]
        await asyncio.sleep(1.0)
        idle = max(gaps)
        gaps.clear()
        start = time.perf_counter()
        last[0] = start
        screen.action_generate()  # type: ignore[attr-defined]
        while screen.running:  # type: ignore[attr-defined]
            await asyncio.sleep(0.005)
        elapsed = time.perf_counter() - start
        await asyncio.sleep(0.5)  # the result shown, the directory surveyed again
        timer.stop()
        if app.state.result is None:  # type: ignore[attr-defined]
            raise SystemExit("generation failed: " + str(screen.query_one("#result").render()))  # type: ignore[attr-defined]
        return max(gaps), idle, elapsed, len(gaps)

    return await on_generate_screen(directory, body)  # type: ignore[return-value]


def stall(rounds: int) -> None:
    """(stall)."""
    runs = []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as scratch:
            runs.append(asyncio.run(measure_stalls(Path(scratch) / "k8s-certs")))
    worst = max(run[0] for run in runs)
    idle = max(run[1] for run in runs)
    print(
        f"(stall) main-thread stall while generating the complete profile, RSA 4096, {rounds} runs:"
    )
    for gap, _idle, elapsed, ticks in runs:
        print(
            f"    run: generation {elapsed * 1000:5.0f} ms, {ticks:3d} ticks, "
            f"largest gap {gap * 1000:5.1f} ms"
        )
    print(f"    largest gap {worst * 1000:7.1f} ms (target < 100 ms: {verdict(worst < 0.100)})")
    print(f"    idle gap    {idle * 1000:7.1f} ms (same timer, nothing running)")


PARTS = {"paint": paint, "inspect": inspect, "cancel": cancel, "stall": stall}


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--only", nargs="+", choices=list(PARTS), default=list(PARTS))
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    for name in args.only:
        PARTS[name](args.rounds)


if __name__ == "__main__":
    main()
