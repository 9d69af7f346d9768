"""Change a running cluster's PKI safely: `k8s-cert-wizard renew`.

`plan_renewal` compares a certificate directory with what cluster.toml asks for now (SANs,
subject, usages, key, chain, validity) and decides what to re-issue — always under the existing
CA(s), which are never touched; `apply_renewal` issues and writes atomically, the old files going
to `backup-<timestamp>/` first; `plan_undo`/`apply_undo` put a backup back. The report module
turns a plan into the text diff, the `--json` object and the redistribution plan. Domain code:
no UI imports here.
"""

from __future__ import annotations

from wizard.renew.apply import apply_renewal, backup_name, renewal_files
from wizard.renew.model import (
    CA_WARN_DAYS,
    MANIFEST_FILE,
    CAWarning,
    Change,
    HostUpdate,
    Redistribution,
    RenewError,
    RenewPlan,
    UndoPlan,
)
from wizard.renew.plan import plan_renewal, rotation_plan
from wizard.renew.report import (
    plan_lines,
    plan_to_json,
    redistribution_for,
    redistribution_lines,
    redistribution_of,
    result_lines,
    undo_lines,
    undo_redistribution,
    undo_to_json,
)
from wizard.renew.undo import apply_undo, plan_undo

__all__ = [
    "CA_WARN_DAYS",
    "MANIFEST_FILE",
    "CAWarning",
    "Change",
    "HostUpdate",
    "Redistribution",
    "RenewError",
    "RenewPlan",
    "UndoPlan",
    "apply_renewal",
    "apply_undo",
    "backup_name",
    "plan_lines",
    "plan_renewal",
    "plan_to_json",
    "plan_undo",
    "redistribution_for",
    "redistribution_lines",
    "redistribution_of",
    "renewal_files",
    "result_lines",
    "rotation_plan",
    "undo_lines",
    "undo_redistribution",
    "undo_to_json",
]
