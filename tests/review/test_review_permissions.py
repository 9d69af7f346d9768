"""Permissions of secrets as CIS Kubernetes Benchmark 1.1.19–1.1.21 put them: owner root:root,
mode 600 or stricter, and a folder nobody else may write to; fixes name absolute paths."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from review_pki import ec_key, key_pem, make_ca, make_leaf, name, write, write_pair

from wizard.review import review_directory
from wizard.store import backup_name


def _set(tmp_path: Path) -> Path:
    ca = make_ca("ca")
    write_pair(tmp_path, "ca", ca)
    write_pair(tmp_path, "admin", make_leaf(ca, name("admin", "system:masters")))
    return tmp_path


def _findings(root: Path) -> dict[tuple[str, str], tuple[str, str]]:
    return {(f.path, f.check): (f.severity, f.message) for f in review_directory(root).findings}


def test_a_group_readable_key_cites_cis_and_an_absolute_chmod(tmp_path: Path) -> None:
    root = _set(tmp_path)
    (root / "admin-key.pem").chmod(0o640)
    severity, message = _findings(root)[("admin-key.pem", "key-permissions")]
    assert severity == "warning"
    assert "CIS 1.1.21" in message and "0640" in message
    assert f"chmod 600 {root / 'admin-key.pem'}" in message


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")
def test_a_key_owned_by_another_user_cites_cis_and_an_absolute_chown(tmp_path: Path) -> None:
    root = _set(tmp_path)
    os.chown(root / "admin-key.pem", 65534, 65534)  # nobody:nogroup, mode still 600
    severity, message = _findings(root)[("admin-key.pem", "key-permissions")]
    assert severity == "warning"
    assert "CIS 1.1.19" in message and "chmod" not in message
    assert f"chown root:root {root / 'admin-key.pem'}" in message


def test_a_folder_others_may_write_to(tmp_path: Path) -> None:
    root = _set(tmp_path / "ssl")
    root.chmod(0o777)
    try:
        severity, message = _findings(root.parent)[("ssl", "folder-permissions")]
        assert severity == "warning"
        assert "0777" in message and f"chmod go-w {root}" in message
        root.chmod(0o1777)  # sticky: others may not replace what is not theirs
        assert ("ssl", "folder-permissions") not in _findings(root.parent)
    finally:
        root.chmod(0o755)


def test_a_healthy_set_has_no_permission_findings(tmp_path: Path) -> None:
    root = _set(tmp_path)
    assert not [check for _, check in _findings(root) if "permissions" in check]


def test_loose_files_in_our_backup_folders_are_not_problems(tmp_path: Path) -> None:
    root = _set(tmp_path)
    backup = root / backup_name(datetime(2026, 11, 28, 16, 40, 20, tzinfo=UTC), 4711)
    write(backup / "admin-key.pem", key_pem(ec_key()), 0o644)
    backup.chmod(0o777)
    try:
        assert [check for _, check in _findings(root)] == ["backup-folder"]
    finally:
        backup.chmod(0o755)
