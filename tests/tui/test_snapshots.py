"""SVG snapshots of every step at 100×32 and 80×24 (pytest-textual-snapshot).

The clock is fixed (wizard_pilot.FIXED_NOW), cursors do not blink in headless runs, the inspect
step reads a committed set, and every run happens in an empty working directory.
Regenerate after a deliberate change: `pytest tests/tui --snapshot-update`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.tui.wizard_pilot import INSPECT_SET, fast_spec, jump_to, settle, type_into, wizard

SIZES = {"wide": (100, 32), "narrow": (80, 24)}


def _go_to(step: int):
    async def run_before(pilot: Pilot) -> None:
        if step > 1:
            await jump_to(pilot, step)
        await settle(pilot)

    return run_before


STEP_CASES = [
    pytest.param(1, "wide", id="addresses-wide"),
    pytest.param(2, "wide", id="identity-wide"),
    pytest.param(3, "wide", id="preview-wide"),
    pytest.param(4, "wide", id="generate-wide"),
    pytest.param(5, "wide", id="inspect-wide"),
    pytest.param(1, "narrow", id="addresses-narrow"),
    pytest.param(3, "narrow", id="preview-narrow"),
    pytest.param(5, "narrow", id="inspect-narrow"),
]


@pytest.mark.parametrize(("step", "size"), STEP_CASES)
def test_step(step: int, size: str, snap_compare, in_tmp: Path) -> None:
    """Each step as it first appears with the guide's cluster; the narrow layout too."""
    if step == 5:
        shutil.copytree(INSPECT_SET, in_tmp / "k8s-certs")
    assert snap_compare(wizard(), terminal_size=SIZES[size], run_before=_go_to(step))


def test_addresses_with_the_guides_mistake(snap_compare, in_tmp: Path) -> None:
    """The VIP written as the guide's `192.168.214.1/24`: the core's fix in red, with ✗ words."""

    async def run_before(pilot: Pilot) -> None:
        field = pilot.app.screen.editor("vip").rows[0].field
        await type_into(pilot, field, "192.168.214.1/24")
        await pilot.press("ctrl+n")

    assert snap_compare(wizard(), terminal_size=SIZES["wide"], run_before=run_before)


def test_generate_finished(snap_compare, in_tmp: Path) -> None:
    """A finished run: the progress bar full, the per-file log, the result line."""

    async def run_before(pilot: Pilot) -> None:
        await _go_to(4)(pilot)
        await pilot.press("ctrl+g")
        await settle(pilot)

    assert snap_compare(wizard(fast_spec()), terminal_size=SIZES["wide"], run_before=run_before)
