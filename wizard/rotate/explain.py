"""The phases as a diagram, drawn from the catalogue: what every flag that verifies with the CA
holds in each stage, which leaves switch, and the restart order — so the README cannot drift."""

from __future__ import annotations

from wizard.catalog import files_of
from wizard.rotate.hosts import WAVES
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
            lines.append("    clients: " + ", ".join(clients))
        if servers:
            lines.append("    servers: " + ", ".join(servers))
    if target.is_key_pair:
        lines.append(_row("signing key:", ("old", "old", "new", "new")))
    if target.kubeconfigs:
        lines.append("    kubeconfigs rewritten: " + ", ".join(k.name for k in target.kubeconfigs))
    lines.append("")
    for phase in Phase:
        order = " → ".join(title for title, _components in WAVES[phase])
        lines.append(f"  {phase} restarts: {order}")
    for note in target.notes:
        lines.append(f"  note: {note}")
    return lines
