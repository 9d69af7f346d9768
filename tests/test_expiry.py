"""Go durations as cfssl reads them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from wizard.expiry import DurationError, describe_duration, parse_go_duration


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("87600h", timedelta(days=3650)),
        ("8760h", timedelta(days=365)),
        ("1h30m", timedelta(minutes=90)),
        ("1.5h", timedelta(minutes=90)),
        ("90s", timedelta(seconds=90)),
        ("500ms", timedelta(milliseconds=500)),
    ],
)
def test_go_durations(text: str, delta: timedelta) -> None:
    assert parse_go_duration(text) == delta


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("10y", 'write "87600h"'),
        ("365d", 'write "8760h"'),
        ("2 years", 'write "17520h"'),
        ("87600", 'write "87600h"'),
        ("", "empty"),
        ("0h", "zero"),
        ("-5h", "not a Go duration"),
        ("h", "not a Go duration"),
    ],
)
def test_bad_durations_explain_hours(text: str, words: str) -> None:
    with pytest.raises(DurationError) as caught:
        parse_go_duration(text)
    assert words in str(caught.value)


def test_describe() -> None:
    assert describe_duration(timedelta(days=3650)) == "3650 days (about 10 years)"
    assert describe_duration(timedelta(days=3)) == "3 days"
