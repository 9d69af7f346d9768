"""A review on its own: ReviewApp, as `k8s-cert-wizard review DIR` opens it, and its factories."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from textual.screen import Screen

from wizard.spec import ClusterSpec
from wizard.tui.app_base import CRASH_EXIT, AppBase

if TYPE_CHECKING:
    from wizard.review import Review


class ReviewApp(AppBase[int]):
    """The review screen on its own, as `k8s-cert-wizard review DIR` opens it."""

    TITLE = "k8s-cert-wizard review"
    # The wizard's chrome, the lists of steps 2-5 and the review's rules: a default screen's
    # own CSS_PATH is not loaded by Textual, so the app names it (dialogs bring their own).
    CSS_PATH = ["wizard.tcss", "steps.tcss", "review.tcss"]

    def __init__(
        self,
        review: Review,
        *,
        directory: str | Path | None = None,
        config: ClusterSpec | None = None,
        config_path: Path | None = None,
        warn_days: int | None = None,
        now: datetime | None = None,
    ) -> None:
        super().__init__()
        self.review = review
        self._screen_arguments = {
            "directory": directory,
            "config": config,
            "config_path": config_path,
            "warn_days": warn_days,
            "now": now,
        }

    def get_default_screen(self) -> Screen:
        """The review screen is the app."""
        from wizard.tui.screens.review import ReviewScreen

        return ReviewScreen(self.review, **self._screen_arguments)  # type: ignore[arg-type]


def make_review_app(
    root: str | Path,
    *,
    config: ClusterSpec | None = None,
    warn_days: int = 30,
    now: datetime | None = None,
    config_path: Path | None = None,
) -> ReviewApp:
    """Review `root` and return the app showing it (tests, screenshots). `now` fixes the clock
    of the review and of a renewal made from it. Raises ReviewError like review_directory."""
    from wizard.review import review_directory

    review = review_directory(root, config=config, warn_days=warn_days, now=now)
    return ReviewApp(
        review,
        directory=root,
        config=config,
        config_path=config_path,
        warn_days=warn_days,
        now=now,
    )


def run_review(
    review: Review,
    *,
    config: ClusterSpec | None = None,
    config_path: Path | None = None,
) -> int:
    """Show a review in the terminal until the user quits; returns the exit code `review
    --plain` gives for it (0 clean, 1 warnings only, 2 errors), or `CRASH_EXIT` after an
    unhandled exception.

    `k8s-cert-wizard review DIR` calls `run_review(review)`; pass the `-c` cluster file as
    `config` so that renewing uses it (without it, DIR/cluster.toml is used when present).
    """
    from wizard.exit_codes import review_exit_code

    app = ReviewApp(review, config=config, config_path=config_path)
    app.run()
    if app.crash_note is not None:
        return CRASH_EXIT
    return review_exit_code(review)
