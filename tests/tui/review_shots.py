"""Render the review and renew screens headlessly into screenshots/ (SVG), for the README.

Run from anywhere: `python tests/tui/review_shots.py`. It writes `screenshots/06-review.svg` (the
committed review set, a few problems in it) and `screenshots/07-renew.svg` (renewing
kubernetes.pem after a master was added to cluster.toml). The clock is fixed and the set is
committed (tests/tui/data/make_review_set.py), so the pictures only change when the screens do.

The helpers here are shared with the review and renew tests.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from textual.pilot import Pilot

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from wizard.spec import load_spec  # noqa: E402
from wizard.tui.review_app import ReviewApp, make_review_app  # noqa: E402
from wizard.tui.screens.review import ReviewScreen  # noqa: E402

FIXED_NOW = datetime(2026, 11, 28, 16, 40, 20, tzinfo=UTC)
"""The instant the review set was made at, and the clock of every review under test."""

REVIEW_SET = Path(__file__).resolve().parent / "data" / "review-set"
"""A committed classic set with problems (see data/make_review_set.py)."""

NEW_MASTER = "192.168.214.203"
"""The master the review set's cluster.toml has and its kubernetes.pem lacks."""

OUT = ROOT / "screenshots"
WIDE = (120, 36)
LOOSE_KEY = "metrics-server-key.pem"
"""The one key the staged set leaves readable by others (a key-permissions warning)."""


def stage_review_set(parent: Path) -> Path:
    """Copy the review set to `parent/review-set` with fixed file modes (git keeps none):
    0644, keys 0600, but LOOSE_KEY 0644."""
    target = parent / "review-set"
    shutil.copytree(REVIEW_SET, target)
    target.chmod(0o700)
    for path in target.iterdir():
        loose = path.name.endswith("-key.pem") and path.name != LOOSE_KEY
        path.chmod(0o600 if loose else 0o644)
    return target


LONG_PATH = "var/lib/rancher/rke2/server/tls/etcd/server-ca.crt"
"""A real-world path, long enough to be elided in the table at 80 columns."""


def stage_long_path(directory: Path) -> Path:
    """Put a copy of the staged set's CA at LONG_PATH under it (a CA copy reviews clean)."""
    target = directory / LONG_PATH
    target.parent.mkdir(parents=True)
    shutil.copyfile(directory / "ca.pem", target)
    target.chmod(0o644)
    return target


def review_set_app(directory: Path, *, with_config: bool = True) -> ReviewApp:
    """The review of a staged set at FIXED_NOW, checked against its cluster.toml."""
    config = load_spec(directory / "cluster.toml") if with_config else None
    return make_review_app(
        directory,
        config=config,
        now=FIXED_NOW,
        config_path=directory / "cluster.toml" if with_config else None,
    )


def review_screen(pilot: Pilot) -> ReviewScreen:
    """The review screen of the app under test (wherever it is in the stack)."""
    return next(s for s in pilot.app.screen_stack if isinstance(s, ReviewScreen))


async def settle(pilot: Pilot) -> None:
    """Let workers finish and their messages be handled."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def select_file(pilot: Pilot, name: str) -> None:
    """Put the table's cursor on the row of this file (the panel follows)."""
    from textual.widgets import DataTable

    screen = review_screen(pilot)
    table = screen.query_one("#review-table", DataTable)
    position = next(i for i, row in enumerate(screen.shown_rows) if row.file == name)
    table.focus()
    table.move_cursor(row=position, animate=False)
    await pilot.pause()


async def open_renewal(pilot: Pilot, name: str = "kubernetes.pem") -> None:
    """Mark one certificate and open its renewal (space, n)."""
    await select_file(pilot, name)
    await pilot.press("space", "n")
    await settle(pilot)


async def _review(pilot: Pilot) -> None:
    await select_file(pilot, "kubernetes.pem")


async def _renew(pilot: Pilot) -> None:
    await open_renewal(pilot)


async def shoot(name: str, drive, size: tuple[int, int] = WIDE, out: Path = OUT) -> Path:
    """Stage the set in a scratch directory, drive the app, save what it shows in `out`.

    The scratch directory is the working directory and HOME meanwhile (as in the review's
    snapshot tests), so the title names the set `~/review-set` on every machine and run.
    """
    here = Path.cwd()
    home = os.environ.get("HOME")
    with tempfile.TemporaryDirectory() as scratch:
        os.chdir(scratch)
        os.environ["HOME"] = scratch
        try:
            app = review_set_app(stage_review_set(Path(scratch)))
            async with app.run_test(size=size) as pilot:
                await settle(pilot)
                await drive(pilot)
                await settle(pilot)
                return Path(app.save_screenshot(filename=name, path=str(out)))
        finally:
            os.chdir(here)
            if home is None:
                os.environ.pop("HOME", None)
            else:
                os.environ["HOME"] = home


async def main() -> None:
    """Write both screenshots."""
    OUT.mkdir(exist_ok=True)
    for name, drive in (("06-review.svg", _review), ("07-renew.svg", _renew)):
        print(f"wrote {await shoot(name, drive)}")


if __name__ == "__main__":
    asyncio.run(main())
