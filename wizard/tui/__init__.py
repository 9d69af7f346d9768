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
from typing import TYPE_CHECKING

from wizard.exit_codes import CRASH_EXIT

if TYPE_CHECKING:
    from wizard.tui.layout_app import make_layout_app
    from wizard.tui.review_app import make_review_app, run_review

# The wizard's modules make thousands of objects (classes, functions, the catalogue) that live
# as long as the app: no collection scans them on the way in (ten collections, ~3 ms of the
# start-up), nor just after (enabling collection with all of them young set off one scan of
# them all, 10-15 ms), so they are frozen first. The app pauses collection again until step 1
# is drawn (WizardApp.__init__).
_collecting = gc.isenabled()
gc.disable()
try:
    from wizard.tui.wizard_app import make_app, run_wizard_app
finally:
    if _collecting:
        gc.freeze()
        gc.enable()

from wizard.lazy_exports import lazy_exports  # noqa: E402 - after the wizard, as above

_HOMES = {
    "make_layout_app": "layout_app",
    "make_review_app": "review_app",
    "run_review": "review_app",
}
"""The other Apps' names: loaded when first used, not on the wizard's way to step 1."""

__all__ = [
    "CRASH_EXIT",
    "make_app",
    "make_layout_app",
    "make_review_app",
    "run_review",
    "run_wizard_app",
]

__getattr__ = lazy_exports(__name__, _HOMES)
