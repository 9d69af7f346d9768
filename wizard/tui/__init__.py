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

import gc

from wizard.exit_codes import CRASH_EXIT

# The wizard's modules make thousands of objects (classes, functions, the catalogue) that live
# as long as the app: no collection scans them on the way in (ten collections, ~3 ms of the
# start-up), nor just after (enabling collection with all of them young set off one scan of
# them all, 10-15 ms), so they are frozen first. The app pauses collection again until step 1
# is drawn (WizardApp.__init__).
_collecting = gc.isenabled()
gc.disable()
try:
    from wizard.tui.apps import (
        make_app,
        make_layout_app,
        make_review_app,
        run_review,
        run_wizard_app,
    )
finally:
    if _collecting:
        gc.freeze()
        gc.enable()

__all__ = [
    "CRASH_EXIT",
    "make_app",
    "make_layout_app",
    "make_review_app",
    "run_review",
    "run_wizard_app",
]
