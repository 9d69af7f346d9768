"""`review --plain`: urgency first, findings grouped by check, widths that read when piped."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest


def plain(directory: Path, columns: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    if columns is not None:
        env["COLUMNS"] = columns
    done = subprocess.run(
        [sys.executable, "-m", "wizard", "review", "--plain", str(directory)],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).parents[2],
    )
    assert done.returncode in (0, 1, 2) and done.stderr == "", done.stderr
    return done.stdout


@pytest.mark.parametrize(("columns", "width"), [(None, 80), ("140", 140), ("60", 60)])
def test_piped_width_follows_columns(messy_dir: Path, columns: str | None, width: int) -> None:
    lines = plain(messy_dir, columns).splitlines()
    assert max(len(line) for line in lines) == width
    # no table is cropped: every table line that opens with a border closes with one
    for line in lines:
        if line and line[0] in "┏┃┡│└":
            assert line.rstrip()[-1] in "┓┃┩│┘", line


def test_urgency_first_and_findings_grouped(messy_dir: Path) -> None:
    out = plain(messy_dir, None)
    assert out.index("Certificates in") < out.index("Findings") < out.index("Files in")
    table = out[: out.index("Findings")]
    rows = [line.split("│") for line in table.splitlines() if line.startswith("│ ")]
    named = [(cells[1].strip(), cells[5].strip()) for cells in rows if cells[1].strip()]
    # urgency as kubeadm certs check-expiration puts it: expired, not yet valid, broken,
    # expiring, with a warning, then the rest
    assert named[0] == ("expired.pem", "expired")
    assert named[1] == ("future.pem", "not yet valid")
    names = [name for name, _ in named]
    assert names.index("regenerated.pem") < names.index("expiring.pem") < names.index("weak.pem")
    assert names.index("weak.pem") < names.index("ca.pem")
    assert out.count("key-mismatch — 2 errors") == 1
    for name in ("apiserver.key", "kubernetes-key.pem", "expired.pem"):
        assert f"  {messy_dir / name}\n" in out
    # the table and the finding count an expired certificate's days alike
    ago = re.search(r"expired\.pem\s+│ [0-9-]+ │ (\d+) days ago", out)
    said = re.search(r"expired on [0-9-]+ [0-9:]+ UTC \((\d+) days ago\)", out)
    assert ago and said and ago.group(1) == said.group(1)


def test_clean_kubeadm_tree_reads_at_80(kubeadm_tree: Path) -> None:
    out = plain(kubeadm_tree, None)
    assert "nothing to fix" in out and "Findings" not in out
    first_row = next(line for line in out.splitlines() if line.startswith("│ "))
    assert len(first_row.split("│")[1]) >= 20  # the certificate column is not squeezed to 4
    assert max(len(line) for line in out.splitlines()) == 80


def test_every_command_names_an_absolute_path(messy_dir: Path) -> None:
    out = plain(messy_dir, "200")
    commands = re.findall(r"(?:chmod 600|chown root:root|openssl pkey -in) (\S+)", out)
    assert commands
    assert all(path.startswith("/") for path in commands), commands


def test_a_big_directory_lists_the_most_urgent_and_says_how_many_more(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from review_pki import make_ca, make_leaf, write_pair

    from wizard.cli.review import PLAIN_ROWS

    ca = make_ca("ca")
    write_pair(tmp_path, "ca", ca)
    for number in range(PLAIN_ROWS + 10):
        write_pair(tmp_path, f"leaf-{number:03d}", make_leaf(ca, f"leaf-{number}"))
    old = make_leaf(ca, "old", start=datetime.now(UTC) - timedelta(days=400), days=365)
    write_pair(tmp_path, "zz-old", old)
    out = plain(tmp_path, "120")
    rows = [line for line in out.splitlines() if line.startswith("│ ") and "│ 20" in line]
    assert len(rows) == PLAIN_ROWS
    assert rows[0].split("│")[1].strip() == "zz-old.pem"  # the expired one first
    words = " ".join(out.split())
    assert "… and 12 more certificates (12 valid)" in words
    assert "Files in" in words and "too many to list here" in words
