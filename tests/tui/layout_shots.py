"""Render the teaching screen "Learn the layout" headlessly into screenshots/ (SVG), for the README.

Run from anywhere: `python tests/tui/layout_shots.py`. It writes screenshots/08-layout.svg (the
eight sets, in English) and screenshots/08-layout-zh.svg (the files section with ca.pem
picked, in Chinese), both at 120×36 with the guide's cluster.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import OptionList

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from wizard.tui import make_layout_app  # noqa: E402

OUT = ROOT / "screenshots"
WIDE = (120, 36)

Drive = Callable[[Pilot], Awaitable[None]]


async def _as_opened(pilot: Pilot) -> None:
    await pilot.pause()


async def _ca_pem(pilot: Pilot) -> None:
    await pilot.press("3")
    files = pilot.app.screen.query_one("#file-list", OptionList)
    files.highlighted = files.get_option_index("ca.pem")
    await pilot.pause()


SHOTS: list[tuple[str, str, tuple[int, int], Drive]] = [
    ("08-layout.svg", "en", WIDE, _as_opened),
    ("08-layout-zh.svg", "zh", WIDE, _ca_pem),
]


async def shoot(name: str, language: str, size: tuple[int, int], drive: Drive) -> Path:
    """Open the screen in a language at this size, drive it, and save what it shows."""
    app = make_layout_app(language=language)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await drive(pilot)
        await pilot.wait_for_scheduled_animations()
        return Path(app.save_screenshot(filename=name, path=str(OUT)))


async def main() -> None:
    """Every screenshot of the teaching screen."""
    OUT.mkdir(exist_ok=True)
    for name, language, size, drive in SHOTS:
        path = await shoot(name, language, size, drive)
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    asyncio.run(main())
