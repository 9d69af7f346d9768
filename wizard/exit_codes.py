"""The exit codes of every command, and the rule that turns a review into one.

0 success; 1 refused (bad input, a usage error, a directory another run is writing, files that
would change); `review` says 1 for warnings only and 2 for errors; 70 the wizard or the review
screen crashed (the answers are saved aside); 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wizard.review import Review

OK = 0
REFUSED = 1
USAGE = REFUSED
"""A command line argparse cannot parse: refused like any other bad input (not argparse's 2)."""
REVIEW_WARNINGS = 1
REVIEW_ERRORS = 2
HOSTS_FAILED = 2
"""`distribute`: some hosts were unreachable, failed or were not restarted (each named)."""
INTERRUPTED = 130
CRASH_EXIT = 70
"""A TUI ended by an unhandled exception (sysexits' EX_SOFTWARE), its answers saved aside:
never 0, and apart from the review's 0/1/2."""


def review_exit_code(review: Review) -> int:
    """0 clean (or notes only), 1 warnings only, 2 errors."""
    if review.worst == "error":
        return REVIEW_ERRORS
    if review.worst == "warning":
        return REVIEW_WARNINGS
    return OK
