"""The review screen (screen.py) over its view-model (rows.py)."""

from wizard.tui.screens.review.rows import Row, build_rows, filter_rows
from wizard.tui.screens.review.screen import ReviewScreen, open_review_dialog

__all__ = ["ReviewScreen", "Row", "build_rows", "filter_rows", "open_review_dialog"]
