"""Certificate lifetimes written as Go durations, the way cfssl reads `expiry` ("87600h")."""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta

from wizard.bounds import quote, quote_repr

_UNITS_NS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "μs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60 * 1_000_000_000,
    "h": 3600 * 1_000_000_000,
}
# ASCII digits only: Python's \d and int() take Arabic-Indic or fullwidth digits, Go's not.
_PART = re.compile(r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h)")
_WORDS = {
    "d": 24,
    "day": 24,
    "days": 24,
    "w": 24 * 7,
    "y": 24 * 365,
    "year": 24 * 365,
    "years": 24 * 365,
}


GO_MAX_DURATION = timedelta(microseconds=(2**63 - 1) // 1000)  # Go's int64 nanoseconds
SHORTEST_LIFETIME = timedelta(hours=1)
WARN_DAYS = 30  # "expiring" from this many days before the end, unless told otherwise
MAX_DAYS = 36500  # for --warn-days and --within: a century is more than any certificate here


class DurationError(ValueError):
    """A duration cfssl would not read; the message explains the hours-only form."""


def parse_go_duration(text: str) -> timedelta:
    """Parse a Go duration such as `87600h` or `1h30m`; days and years are refused with a hint,
    and so are durations Go cannot hold (cfssl would refuse them)."""
    if not isinstance(text, str):
        raise DurationError(
            f'{quote_repr(text)} is not text — write a duration in hours, e.g. "87600h"'
        )
    value = text
    if not value.strip():
        raise DurationError(
            f'{quote(value)} is empty — write a duration in hours, e.g. "87600h" (10 years)'
        )
    if value != value.strip():  # Go's time.ParseDuration, which cfssl uses, takes no spaces
        raise DurationError(
            f"{quote(value)} has spaces or a line break at its ends, which cfssl refuses — "
            f"write {quote(value.strip())}"
        )
    position = 0
    total_ns = 0.0
    while position < len(value):
        match = _PART.match(value, position)
        if not match:
            raise DurationError(_explain(value))
        number, unit = match.groups()
        total_ns += float(number) * _UNITS_NS[unit]
        position = match.end()
    if total_ns <= 0:
        raise DurationError(
            f'{quote(value)} is zero — a certificate needs a lifetime, e.g. "87600h"'
        )
    if total_ns >= 2**63:
        longest = int(GO_MAX_DURATION.total_seconds() // 3600)
        raise DurationError(
            f"{quote(value)} is longer than Go can count ({longest}h, about 292 years), so cfssl "
            'would refuse it — write e.g. "87600h" (10 years)'
        )
    return timedelta(microseconds=total_ns / 1000)


def parse_lifetime(text: str) -> timedelta:
    """A certificate lifetime: a Go duration of at least an hour (with cfssl's five-minute
    backdate, a shorter one is expired, or nearly, when it is made)."""
    lifetime = parse_go_duration(text)
    if lifetime < SHORTEST_LIFETIME:
        raise DurationError(
            f"{quote(text)} is under an hour — certificates are backdated five minutes, so it "
            'would be expired or nearly so when made; write at least "1h", e.g. "8760h" (1 year)'
        )
    return lifetime


def _explain(value: str) -> str:
    match = re.fullmatch(r"([0-9]{1,9})\s*([a-zA-Z]+)", value)
    if match and match.group(2).lower() in _WORDS:
        hours = int(match.group(1)) * _WORDS[match.group(2).lower()]
        return (
            f"{quote(value)} is not a Go duration — cfssl counts only hours, minutes and "
            f'seconds; write "{hours}h"'
        )
    if re.fullmatch(r"[0-9]{1,40}", value):
        return f'{quote(value)} has no unit — write "{value}h" for hours'
    if any(c.isdigit() and not c.isascii() for c in value):
        return (
            f"{quote(value)} is written with non-ASCII digits, which Go's duration parser "
            'refuses — write it with 0-9, e.g. "87600h"'
        )
    return (
        f'{quote(value)} is not a Go duration — write hours such as "87600h" (10 years) or '
        '"8760h" (1 year); units are h, m and s'
    )


def describe_duration(delta: timedelta) -> str:
    """A human reading of a lifetime: `3650 days (about 10 years)`."""
    days = delta.total_seconds() / 86400
    if days >= 365:
        years = f"{days / 365.25:.1f}".removesuffix(".0")
        return f"{_count(days, 'day')} (about {_count(float(years), 'year')})"
    if days >= 1:
        return _count(days, "day")
    return _count(delta.total_seconds() / 3600, "hour")


def _count(amount: float, unit: str) -> str:
    return f"{amount:g} {unit}{'' if amount == 1 else 's'}"


def days_until(moment: datetime, now: datetime) -> int:
    """Whole days from now until the moment (negative once it has passed)."""
    return math.floor((moment - now).total_seconds() / 86400)


def when_text(moment: datetime, now: datetime) -> str:
    """`in 12 days`, `in 5 hours` or `3 minutes ago`."""
    seconds = (moment - now).total_seconds()
    amount = abs(seconds)
    if amount < 3600:
        count, unit = max(1, round(amount / 60)), "minute"
    elif amount < 2 * 86400:
        count, unit = round(amount / 3600), "hour"
    else:
        count, unit = int(amount // 86400), "day"
    text = f"{count} {unit}{'' if count == 1 else 's'}"
    return f"in {text}" if seconds >= 0 else f"{text} ago"
