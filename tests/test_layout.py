"""The teaching text reads the catalogue, in English and Simplified Chinese."""

from __future__ import annotations

import pytest

from wizard.catalog import PROFILE_NAMES, concrete_entries, files_of, get_profile
from wizard.layout import layout_sections, layout_text, pick_language
from wizard.spec import ClusterSpec, Node


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("profile", sorted(PROFILE_NAMES))
def test_every_file_of_the_profile_is_explained(profile: str, language: str) -> None:
    spec = ClusterSpec.example()
    spec.profile = profile
    spec.nodes = [Node("node-1", "192.168.214.101")]
    text = layout_text(spec, language)
    for entry in concrete_entries(get_profile(profile), spec):
        files = files_of(entry, get_profile(profile))
        assert (files.cert or files.key) in text
    sets, *_ = layout_sections(spec, language)
    assert len(sets.rows) == 9  # header + the eight sets


def test_chinese_text_is_chinese() -> None:
    text = layout_text(ClusterSpec.example(), "zh")
    assert "八套证书" in text and "CN 是用户，O 是组" in text
    assert "kubectl 的客户端证书" in text


def test_identities_show_cn_and_o() -> None:
    sections = layout_sections(ClusterSpec.example(), "en")
    identities = next(s for s in sections if s.title.startswith("Identity"))
    assert any(row[:2] == ["admin", "system:masters"] for row in identities.rows)


@pytest.mark.parametrize(
    ("environment", "expected"),
    [({"LANG": "zh_CN.UTF-8"}, "zh"), ({"LANG": "en_US.UTF-8"}, "en"), ({}, "en")],
)
def test_language_from_the_environment(monkeypatch, environment, expected) -> None:
    for name in ("LC_ALL", "LANG", "LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert pick_language(None) == expected
    assert pick_language("zh") == "zh"


def test_layout_command(capsys) -> None:
    from wizard.cli import main

    assert main(["layout", "--lang", "zh", "--profile", "complete"]) == 0
    out = capsys.readouterr().out
    assert "kube-scheduler.pem" in out and "TLS bootstrapping 的步骤" in out
