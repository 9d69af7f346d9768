"""Go durations as cfssl reads them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from wizard.expiry import DurationError, describe_duration, parse_go_duration, parse_lifetime


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
    assert describe_duration(timedelta(days=365)) == "365 days (about 1 year)"
    assert describe_duration(timedelta(days=548)) == "548 days (about 1.5 years)"
    assert describe_duration(timedelta(days=1)) == "1 day"
    assert describe_duration(timedelta(hours=1)) == "1 hour"
    assert describe_duration(timedelta(hours=36)) == "1.5 days"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("99999999999999999h", "longer than Go can count (2562047h, about 292 years)"),
        ("2562048h", "longer than Go can count"),
        ("1m", '"1m" is under an hour — certificates are backdated five minutes'),
        ("59m59s", "is under an hour"),
        ("1ns", "is under an hour"),
    ],
)
def test_lifetimes_go_cannot_hold_or_too_short_to_use_are_refused(text: str, words: str) -> None:
    with pytest.raises(DurationError) as caught:
        parse_lifetime(text)
    assert words in str(caught.value)
    assert parse_lifetime("1h") == timedelta(hours=1)
    assert parse_lifetime("2562047h") == timedelta(hours=2562047)
