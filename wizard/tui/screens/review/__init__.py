"""The review screen (screen.py) over its view-model (rows.py)."""

from wizard.tui.screens.review.rows import Row, build_rows, exit_code, filter_rows
from wizard.tui.screens.review.screen import ReviewScreen, open_review_dialog

__all__ = ["ReviewScreen", "Row", "build_rows", "exit_code", "filter_rows", "open_review_dialog"]

_MOVED_TO_APPS = {"ReviewApp", "make_review_app", "run_review"}


def __getattr__(name: str) -> object:
    """`run_review` and the review App moved to `wizard.tui` (import them from there); the old
    names answer until cli.py has switched."""
    if name in _MOVED_TO_APPS:
        from wizard.tui import apps

        return getattr(apps, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
