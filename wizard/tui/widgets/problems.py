"""Problems from the core shown in words, with a symbol and a colour for their severity."""

from __future__ import annotations

from collections.abc import Iterable

from textual.content import Content

from wizard.marks import SEVERITY_ORDER, mark_of
from wizard.spec import Problem
from wizard.tui.looks import style
from wizard.tui.widgets.fields import Note


def problem_content(problem: Problem, *, with_path: bool = True) -> Content:
    """One problem as a line: symbol, severity word, then the core's `path: message`."""
    text = str(problem) if with_path else problem.message
    return Content.from_markup(
        f"[{style(problem.severity)}]$symbol $severity[/] $text",
        symbol=mark_of(problem.severity).symbol,
        severity=problem.severity,
        text=text,
    )


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Errors first, then warnings, then notes; file order within each."""
    return sorted(problems, key=lambda p: SEVERITY_ORDER[p.severity])


def count_words(problems: list[Problem]) -> Content:
    """`✗ 1 error · ⚠ 2 warnings`, or `✓ no problems`."""
    parts = []
    for severity in ("error", "warning"):
        count = sum(1 for p in problems if p.severity == severity)
        if count:
            word = severity + ("s" if count > 1 else "")
            parts.append(
                Content.from_markup(
                    f"[{style(severity)}]$symbol $count $word[/]",
                    symbol=mark_of(severity).symbol,
                    count=str(count),
                    word=word,
                )
            )
    if not parts:
        return Content.from_markup("[$success]✓ no problems[/]")
    return Content(" · ").join(parts)


class ProblemList(Note):
    """A block of problems, one per line, errors first; empty text when there are none."""

    def __init__(self, content: Content | str = "", **kwargs: object) -> None:
        super().__init__(content, **kwargs)  # type: ignore[arg-type]
        # -empty from the start when it starts empty, as `show` would set it: a class set just
        # after mounting would style it a second time
        self.set_class(not content, "-empty", update=False)

    def show(self, problems: Iterable[Problem], empty: str = "", *, with_path: bool = True) -> None:
        """Replace the shown problems."""
        ordered = sort_problems(problems)
        self.set_class(not ordered and not empty, "-empty")
        if not ordered:
            self.say(Content.from_markup("[$success]✓[/] $text", text=empty) if empty else "")
            return
        self.say(Content("\n").join(problem_content(p, with_path=with_path) for p in ordered))
