"""A phase plan and an undo plan as text lines, and as one JSON object for scripts."""

from __future__ import annotations

from typing import Any

from wizard.rotate.model import HostStep, PhasePlan, UndoPlan
from wizard.store import WriteResult


def step_lines(steps: list[HostStep]) -> list[str]:
    """The host plan: per wave, per host, the files, the restarts and the check."""
    lines: list[str] = []
    wave = 0
    for step in steps:
        if step.wave != wave:
            wave = step.wave
            lines.append(f"  wave {step.wave}: {step.wave_title}")
        title = f"{step.address} ({step.name})" if step.name else step.address
        lines.append(f"    {title}")
        for placed in step.files:
            lines.append(
                f"      {placed.source} → {placed.destination} ({placed.mode:04o}) {placed.why}"
            )
        for unit in step.restart:
            lines.append(f"      systemctl restart {unit}")
        if step.check:
            lines.append(f"      wait: {step.check}")
    return lines or ["  no host needs a file"]


def plan_lines(plan: PhasePlan, *, dry_run: bool) -> list[str]:
    """What the phase does, warnings first."""
    target = plan.target
    what = (
        f"client trust of the {target.entry.title}" if target.clients_only else target.entry.title
    )
    lines = [f"rotate-ca --ca {target.kind}: {what} ({target.files.trust})"]
    lines += [f"WARNING: {w}" for w in plan.warnings]
    lines.append(f"stage: {plan.state.stage} — " + "; ".join(plan.state.evidence))
    lines.append(f"phase: {plan.phase} ({'dry run: nothing written' if dry_run else 'writing'})")
    for change in plan.changes:
        sign = {"add": "+", "replace": "~", "remove": "-"}[change.action]
        lines.append(f"  {sign} {change.path}  ({change.what})")
    lines.append("")
    lines.append("Hosts, in this order (distribute executes it):")
    lines += step_lines(plan.steps)
    if plan.cluster_steps:
        lines += ["", "In the cluster, after the hosts:"]
        lines += [f"  {s}" for s in plan.cluster_steps]
    if plan.notes:
        lines.append("")
        lines += [f"note: {n}" for n in plan.notes]
    return lines


def result_lines(result: WriteResult) -> list[str]:
    """Where the old files went and how to go back."""
    lines = [f"Written: {len(result.written)} file(s) in {result.directory}."]
    if result.backup is not None:
        lines.append(f"The replaced files are in {result.backup}; --undo puts them back.")
    return lines


def rerun_command(plan: PhasePlan | UndoPlan) -> str:
    """The command that goes on with this rotation: `rotate-ca --ca cluster --clients-only`."""
    if isinstance(plan, UndoPlan):
        return f"rotate-ca --ca {plan.kind}" + (" --clients-only" if "/clients" in plan.key else "")
    return f"rotate-ca --ca {plan.target.kind}" + (
        " --clients-only" if plan.target.clients_only else ""
    )


def outcome_lines(plan: PhasePlan, result: WriteResult | None) -> list[str]:
    """The last words of a phase: nothing written (a dry run), or where the old files went and
    what comes next."""
    if result is None:
        return ["Dry run: nothing was written."]
    return result_lines(result) + [
        f"Next: the hosts above, then {rerun_command(plan)} again for the next phase."
    ]


def undo_outcome_lines(result: WriteResult | None) -> list[str]:
    """The last words of an undo: where the files it replaced went."""
    if result is None or result.backup is None:
        return []
    return [f"The files it replaced are in {result.backup}."]


def undo_lines(plan: UndoPlan, *, dry_run: bool) -> list[str]:
    """What the undo restores and removes, then the hosts."""
    lines = [f"undo {plan.phase} of --ca {plan.kind} from {plan.backup.name}"]
    lines += [f"  ~ {f.path}" for f in plan.files]
    lines += [f"  - {name}" for name in plan.remove]
    lines.append("dry run: nothing written" if dry_run else "restored")
    lines += ["", "Hosts, in this order:"] + step_lines(plan.steps)
    return lines


def steps_to_json(steps: list[HostStep]) -> list[dict[str, Any]]:
    """The host plan as plain data: per host, its files, restarts and check."""
    return [
        {
            "wave": s.wave,
            "wave_title": s.wave_title,
            "address": s.address,
            "name": s.name,
            "files": [
                {"source": f.source, "destination": f.destination, "mode": f"{f.mode:04o}"}
                for f in s.files
            ],
            "restart": list(s.restart),
            "check": s.check,
        }
        for s in steps
    ]


def undo_to_json(plan: UndoPlan, result: WriteResult | None) -> dict[str, Any]:
    """The undo as plain data: what it restores and removes, and the hosts' plan."""
    return {
        "ca": plan.key,
        "kind": str(plan.kind),
        "undo_of": plan.backup.name,
        "phase": str(plan.phase),
        "dry_run": result is None,
        "restored": [f.path for f in plan.files],
        "removed": list(plan.remove),
        "hosts": steps_to_json(plan.steps),
        "backup": str(result.backup) if result is not None and result.backup else "",
    }


def plan_to_json(plan: PhasePlan, *, dry_run: bool) -> dict[str, Any]:
    """The plan as plain data (what `distribute` needs, too)."""
    return {
        "ca": plan.target.key,
        "kind": str(plan.target.kind),
        "stage": str(plan.state.stage),
        "evidence": plan.state.evidence,
        "phase": str(plan.phase),
        "dry_run": dry_run,
        "warnings": plan.warnings,
        "changes": [{"path": c.path, "action": c.action, "what": c.what} for c in plan.changes],
        "hosts": steps_to_json(plan.steps),
        "cluster_steps": plan.cluster_steps,
        "notes": plan.notes,
    }
