"""Rotate a CA (or the service-account key) of a running cluster in stages: prepare (a new CA,
bundles of both), reissue (every leaf under the new CA, servers last), finalize (the old CA out).

The stage is read from the certificates in the directory, so a rerun resumes. Each phase is a
plan first (the diff), then one atomic write with a backup (`--undo` puts it back), then a host
plan — files per host and the restart order — that `distribute` executes. Domain code: no UI.
"""

from __future__ import annotations

from wizard.rotate.explain import explain_lines
from wizard.rotate.hosts import WAVES, phase_steps, signing_destination, written_phase_steps
from wizard.rotate.model import (
    MANIFEST_FILE,
    TOKEN_WAIT,
    CaKind,
    FileChange,
    HostStep,
    Phase,
    PhasePlan,
    PlacedFile,
    RotateError,
    RotationState,
    Stage,
    Target,
    TrustUse,
    UndoPlan,
)
from wizard.rotate.phases import apply_phase, cross_certificate, plan_phase
from wizard.rotate.report import (
    outcome_lines,
    plan_lines,
    plan_to_json,
    rerun_command,
    result_lines,
    step_lines,
    undo_lines,
    undo_outcome_lines,
    undo_to_json,
)
from wizard.rotate.state import detect
from wizard.rotate.targets import target_for
from wizard.rotate.undo import apply_undo, plan_undo

__all__ = [
    "MANIFEST_FILE",
    "TOKEN_WAIT",
    "WAVES",
    "CaKind",
    "FileChange",
    "HostStep",
    "Phase",
    "PhasePlan",
    "PlacedFile",
    "RotateError",
    "RotationState",
    "Stage",
    "Target",
    "TrustUse",
    "UndoPlan",
    "apply_phase",
    "apply_undo",
    "cross_certificate",
    "detect",
    "explain_lines",
    "outcome_lines",
    "phase_steps",
    "plan_lines",
    "plan_phase",
    "plan_to_json",
    "plan_undo",
    "rerun_command",
    "result_lines",
    "signing_destination",
    "step_lines",
    "target_for",
    "undo_lines",
    "undo_outcome_lines",
    "undo_to_json",
    "written_phase_steps",
]
