"""The Textual face of k8s-cert-wizard. The CLI imports only these names:

- `run_wizard_app(spec, spec_path) -> int`: the wizard in the terminal; its exit status (0, or
  `CRASH_EXIT` after an unhandled exception, the answers saved aside first).
- `make_app(spec, spec_path, *, now)`: the wizard's App, not started (tests, screenshots).
- `run_review(review, *, config, config_path) -> int`: a review shown until quit; the exit
  status `review --plain` gives (or `CRASH_EXIT`).
- `make_review_app(root, ...)`, `make_layout_app(spec, language)`: the review and the teaching
  screen as Apps of their own.

Importing this package imports Textual but no screen: each screen loads when first shown.
"""

from wizard.exit_codes import CRASH_EXIT
from wizard.tui.apps import make_app, make_layout_app, make_review_app, run_review, run_wizard_app

__all__ = [
    "CRASH_EXIT",
    "make_app",
    "make_layout_app",
    "make_review_app",
    "run_review",
    "run_wizard_app",
]
