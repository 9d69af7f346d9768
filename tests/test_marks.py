"""wizard.marks: one symbol, word and tone for each severity and status both faces show."""

from __future__ import annotations

from typing import get_args

from wizard import spec
from wizard.marks import MARKS, SEVERITY_ORDER, mark_of
from wizard.review import model


def test_every_severity_of_the_review_and_the_spec_has_a_mark() -> None:
    severities = {*get_args(spec.Severity), *get_args(model.Severity)}
    assert severities == {"error", "warning", "info", "note"}
    for severity in severities:
        assert severity in MARKS and severity in SEVERITY_ORDER


def test_colour_is_never_alone_each_mark_has_a_symbol_and_its_word() -> None:
    symbols = {mark.tone: set() for mark in MARKS.values()}
    for word, mark in MARKS.items():
        assert mark.word == word and mark.symbol.strip()
        symbols[mark.tone].add(mark.symbol)
    assert "✓" in symbols["good"] and "✗" in symbols["bad"]
    assert not symbols["good"] & symbols["bad"]


def test_an_unknown_word_is_shown_as_bad_not_hidden() -> None:
    mark = mark_of("revoked")
    assert (mark.symbol, mark.word, mark.tone) == ("✗", "revoked", "bad")
