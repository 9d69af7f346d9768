"""The phases as a diagram, drawn from the catalogue: what every flag that verifies with the CA
holds in each stage, which leaves switch, and the restart order — so the README cannot drift."""

from __future__ import annotations

import textwrap

from wizard.catalog import files_of
from wizard.rotate.hosts import phase_steps
from wizard.rotate.model import Phase, Target

_STAGES = ("idle", "prepared", "reissued", "idle")
_COLUMN = 11


def _row(label: str, values: tuple[str, str, str, str]) -> str:
    cells = "".join(f"{v:<{_COLUMN}}" for v in values).rstrip()
    if len(label) > 56:
        return f"  {label}\n  {'':<56}{cells}"
    return f"  {label:<56}{cells}"


def explain_lines(target: Target) -> list[str]:
    """The diagram of one rotation in this profile."""
    files, profile = target.files, target.profile
    title = target.entry.title
    lines = [
        f"--ca {target.kind} · profile {profile.name} · {files.trust} ({title})",
        "",
        "  idle ──prepare──▶ prepared ──reissue──▶ reissued ──finalize──▶ idle",
        "",
        _row("", _STAGES),
        _row(
            f"trust ({files.trust}; during the rotation {files.bundle}):",
            ("old", "old+new", "old+new", "new"),
        ),
    ]
    for use in target.trust:
        lines.append(f"      {use.text}")
    if target.single:
        lines.append(
            _row(
                "one key or CA, never a bundle (switches at reissue):", ("old", "old", "new", "new")
            )
        )
        for use in target.single:
            lines.append(f"      {use.text}")
    if target.leaves:
        lines.append(_row("leaves signed by:", ("old", "old", "new", "new")))
        servers = [files_of(leaf, profile).cert for leaf in target.leaves if leaf.is_server]
        clients = [files_of(leaf, profile).cert for leaf in target.leaves if not leaf.is_server]
        if clients:
            lines += _wrapped("    clients: ", clients)
        if servers:
            lines += _wrapped("    servers: ", servers)
    if target.is_key_pair:
        lines.append(_row("signing key:", ("old", "old", "new", "new")))
    if target.kubeconfigs:
        lines += _wrapped("    kubeconfigs rewritten: ", [k.name for k in target.kubeconfigs])
    lines.append("")
    for phase in Phase:
        lines += _wrapped(f"  {phase} restarts: ", _order(target, phase), " → ")
    for note in target.notes:
        lines += textwrap.wrap(note, 96, initial_indent="  note: ", subsequent_indent="    ")
    return lines


def _wrapped(head: str, items: list[str], joiner: str = ", ") -> list[str]:
    return textwrap.wrap(
        joiner.join(items),
        96,
        initial_indent=head,
        subsequent_indent=" " * len(head),
        break_on_hyphens=False,
        break_long_words=False,
    )


def _order(target: Target, phase: Phase) -> list[str]:
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
    return [f"{title} ({', '.join(units)})" if units else title for title, units in waves.values()]
