"""Regenerate `inspect-set/`: the guide's classic set at a fixed instant, for the inspect snapshots.

Serial numbers and keys are random, so the set is made once and committed; the snapshots of the
inspect step read it. Run from the project root: `python tests/tui/data/make_inspect_set.py`.
The keys in it are test data and protect nothing.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from wizard.generate import generate_files
from wizard.spec import ClusterSpec
from wizard.store import write_files

FIXED_NOW = datetime(2026, 11, 28, 16, 40, 20, tzinfo=UTC)
TARGET = Path(__file__).resolve().parent / "inspect-set"

if __name__ == "__main__":
    shutil.rmtree(TARGET, ignore_errors=True)
    write_files(TARGET, generate_files(ClusterSpec.example(), now=FIXED_NOW))
    print(f"wrote {TARGET}")
