"""The phases as a diagram, drawn from the catalogue: what every flag that verifies with the CA
holds in each stage, which leaves switch, and the restart order — so the README cannot drift.
In English or Simplified Chinese: the labels change, the flags, files and phases do not."""

from __future__ import annotations

import textwrap
import unicodedata

from wizard.catalog import files_of
from wizard.rotate.hosts import phase_steps
from wizard.rotate.model import Phase, Target

_STAGES = ("idle", "prepared", "reissued", "idle")
_COLUMN = 11
_LABEL = 56

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "head": "--ca {kind} · profile {profile} · {trust} ({title})",
        "trust": "trust ({trust}; during the rotation {bundle}):",
        "single": "one key or CA, never a bundle (switches at reissue):",
        "leaves": "leaves signed by:",
        "clients": "    clients: ",
        "servers": "    servers: ",
        "signing": "signing key:",
        "kubeconfigs": "    kubeconfigs rewritten: ",
        "restarts": "  {phase} restarts: ",
        "note": "  note: ",
        "old": "old",
        "old+new": "old+new",
        "new": "new",
    },
    "zh": {
        "head": "--ca {kind} · 方案 {profile} · {trust}（{title}）",
        "trust": "信任（{trust}；轮换期间为 {bundle}）：",
        "single": "只接受一个 CA 或密钥、不接受 bundle（reissue 时切换）：",
        "leaves": "叶子证书的签发者：",
        "clients": "    客户端：",
        "servers": "    服务端：",
        "signing": "签名密钥：",
        "kubeconfigs": "    重写的 kubeconfig：",
        "restarts": "  {phase} 重启顺序：",
        "note": "  注：",
        "old": "旧",
        "old+new": "旧+新",
        "new": "新",
    },
}
"""The diagram's labels per language; `explain_lines(target, language)` picks them."""

WAVE_TITLES_ZH: dict[str, str] = {
    "etcd members, one at a time": "etcd 成员，逐个",
    "masters, one at a time": "master，逐个",
    "nodes, one at a time": "node，逐个",
    "operators (nothing restarts)": "运维机（不重启）",
    "masters: the clients first": "master：先客户端",
    "etcd members, one at a time (servers last)": "etcd 成员，逐个（服务端最后）",
    "masters: kube-apiserver last, one at a time": "master：最后 kube-apiserver，逐个",
}
"""The restart waves' titles (wizard.rotate.hosts.WAVES) in Chinese."""


def display_width(text: str) -> int:
    """Columns a text takes in a terminal: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def _row(label: str, values: tuple[str, str, str, str]) -> str:
    cells = "".join(_pad(v, _COLUMN) for v in values).rstrip()
    if display_width(label) > _LABEL:
        return f"  {label}\n  {'':<{_LABEL}}{cells}"
    return f"  {_pad(label, _LABEL)}{cells}"


def explain_lines(target: Target, language: str = "en") -> list[str]:
    """The diagram of one rotation in this profile, in English or Chinese ("zh")."""
    words = WORDS.get(language, WORDS["en"])
    files, profile = target.files, target.profile

    def values(*names: str) -> tuple[str, str, str, str]:
        a, b, c, d = (words[n] for n in names)
        return a, b, c, d

    lines = [
        words["head"].format(
            kind=target.kind, profile=profile.name, trust=files.trust, title=target.entry.title
        ),
        "",
        "  idle ──prepare──▶ prepared ──reissue──▶ reissued ──finalize──▶ idle",
        "",
        _row("", _STAGES),
        _row(
            words["trust"].format(trust=files.trust, bundle=files.bundle),
            values("old", "old+new", "old+new", "new"),
        ),
    ]
    for use in target.trust:
        lines.append(f"      {use.text}")
    if target.single:
        lines.append(_row(words["single"], values("old", "old", "new", "new")))
        for use in target.single:
            lines.append(f"      {use.text}")
    if target.leaves:
        lines.append(_row(words["leaves"], values("old", "old", "new", "new")))
        servers = [files_of(leaf, profile).cert for leaf in target.leaves if leaf.is_server]
        clients = [files_of(leaf, profile).cert for leaf in target.leaves if not leaf.is_server]
        if clients:
            lines += _wrapped(words["clients"], clients)
        if servers:
            lines += _wrapped(words["servers"], servers)
    if target.is_key_pair:
        lines.append(_row(words["signing"], values("old", "old", "new", "new")))
    if target.kubeconfigs:
        lines += _wrapped(words["kubeconfigs"], [k.name for k in target.kubeconfigs])
    lines.append("")
    for phase in Phase:
        order = _order(target, phase, language)
        lines += _wrapped(words["restarts"].format(phase=phase), order, " → ")
    for note in target.notes:
        lines += textwrap.wrap(note, 96, initial_indent=words["note"], subsequent_indent="    ")
    return lines


def _wrapped(head: str, items: list[str], joiner: str = ", ") -> list[str]:
    return textwrap.wrap(
        joiner.join(items),
        96,
        initial_indent=head,
        subsequent_indent=" " * display_width(head),
        break_on_hyphens=False,
        break_long_words=False,
    )


def _order(target: Target, phase: Phase, language: str = "en") -> list[str]:
    """The waves of the phase that restart something for this target, with their units."""
    files = target.files
    leaves = [n for leaf in target.leaves for n in files_of(leaf, target.profile).names()]
    kubeconfigs = [k.name for k in target.kubeconfigs]
    changed = {
        Phase.PREPARE: {files.bundle, *(kubeconfigs if target.rewrites_kubeconfig_ca else [])},
        Phase.REISSUE: {files.cert, files.key, files.public, *leaves, *kubeconfigs},
        Phase.FINALIZE: {files.bundle, *(kubeconfigs if target.rewrites_kubeconfig_ca else [])},
    }[phase] - {""}
    waves: dict[int, tuple[str, list[str]]] = {}
    for step in phase_steps(target, phase, changed):
        title, units = waves.setdefault(step.wave, (step.wave_title, []))
        units += [
            u.removesuffix(".service")
            for u in step.restart
            if u.removesuffix(".service") not in units
        ]
    named = [
        (WAVE_TITLES_ZH.get(title, title) if language == "zh" else title, units)
        for title, units in waves.values()
    ]
    return [f"{title} ({', '.join(units)})" if units else title for title, units in named]
