"""No command: open the Textual wizard, prefilled from -c FILE or the guide's example."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from wizard.cli.common import refuse


def run(args: argparse.Namespace) -> int:
    """Open the wizard in this terminal."""
    from wizard.spec import ClusterSpec, SpecError, load_spec

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return refuse(
            "the wizard needs a terminal (standard input and output are not one) — run it in "
            "a terminal, or use a command: k8s-cert-wizard --help"
        )
    spec = ClusterSpec.example()
    if args.config:
        try:
            spec = load_spec(args.config)
        except SpecError as error:
            return refuse(str(error))
    try:
        from wizard.tui import run_wizard_app
    except ImportError as error:
        return refuse(f"the wizard is not available ({error}) — use init, csr and generate")
    return run_wizard_app(spec, Path(args.config) if args.config else None)
