"""Another Python process for tests of what two runs do to each other: it runs a script, says
a word on stdout once it has reached the point the test waits for (it holds a lock, it is
imported), and then waits on stdin for the test to let it go — events and pipes, never a timer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def environment() -> dict[str, str]:
    """This environment with the checkout first on PYTHONPATH (the process imports `wizard`
    and `tests` from here)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def start_held(
    script: str, *args: str, says: str, cwd: Path = ROOT, stderr: bool = False
) -> subprocess.Popen[str]:
    """`python -c script args…`, returned once it has printed the line `says` (stdin, stdout
    and, with `stderr`, stderr are pipes). Killed, and the test failed, if it says otherwise."""
    process = subprocess.Popen(
        [sys.executable, "-c", script, *args],
        cwd=cwd,
        env=environment(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE if stderr else None,
        text=True,
    )
    assert process.stdout is not None
    said = process.stdout.readline().strip()
    if said != says:
        process.kill()
        process.wait()
        raise AssertionError(f"the held process said {said!r}, not {says!r}")
    return process
