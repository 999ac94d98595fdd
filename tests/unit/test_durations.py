"""Durations typed on the command line: a positive, bounded timedelta or a ValueError, only."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.cli.durations import LONGEST, duration_argument, parse_duration

UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
MICROSECOND = timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("30m", timedelta(minutes=30)),
        ("2h", timedelta(hours=2)),
        ("7d", timedelta(days=7)),
        (" 1.5D ", timedelta(hours=36)),
        ("0.5s", timedelta(milliseconds=500)),
        ("365000d", timedelta(days=365_000)),
    ],
)
def test_well_formed_durations_parse(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text", ["999999d", "99999999d", "9999999999d", "365001d", "1" * 400 + "d", "9" * 5000 + "s"]
)
def test_a_period_longer_than_a_thousand_years_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="too long: at most 365000d"):
        parse_duration(text)


def test_the_longest_period_still_leaves_a_cut_off_after_year_one() -> None:
    longest = parse_duration(f"{LONGEST.days}d")
    assert datetime.now(UTC) - longest > datetime.min.replace(tzinfo=UTC)


@pytest.mark.parametrize("text", ["0d", "0s", "000m", "0.0000001s", "0." + "0" * 3000 + "1d"])
def test_a_zero_period_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="must be longer than 0"):
        parse_duration(text)


def test_zero_is_accepted_where_the_caller_allows_it() -> None:
    assert parse_duration("0m", allow_zero=True) == timedelta(0)


@pytest.mark.parametrize(
    "text",
    ["nand", "nan", "inf", "infd", "-1d", "+1d", "1e5d", "1,5d", "1.d", ".5d", "", "d", "1 week",
     "\u0663d", "\uff11d", "1d\n2d", "1\x00d"],
)  # fmt: skip
def test_malformed_text_is_refused_with_the_expected_form(text: str) -> None:
    with pytest.raises(ValueError, match="expected a duration such as 90s, 30m, 2h or 7d"):
        parse_duration(text)


def test_the_argparse_type_turns_a_refusal_into_a_usage_error() -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="too long"):
        duration_argument("99999999d")


def _check(text: str) -> None:
    try:
        result = parse_duration(text)
    except ValueError:
        return
    assert timedelta(0) < result <= LONGEST
    # What was accepted reads back to the same period, to the microsecond.
    microseconds = result // MICROSECOND
    again = parse_duration(f"{microseconds // 10**6}.{microseconds % 10**6:06d}s")
    assert again == result


@given(st.text())
def test_any_text_is_a_positive_bounded_period_or_a_value_error(text: str) -> None:
    _check(text)


@given(st.from_regex(r"\A\s?[0-9]{1,25}(\.[0-9]{1,25})?\s?[smhdSMHD]\s?\Z"))
def test_any_well_shaped_text_is_a_positive_bounded_period_or_a_value_error(text: str) -> None:
    _check(text)


@given(st.sampled_from(sorted(UNITS)).flatmap(
    lambda unit: st.tuples(
        st.just(unit), st.integers(1, LONGEST // timedelta(**{UNITS[unit]: 1}))
    )
))  # fmt: skip
def test_a_whole_amount_in_range_round_trips(case: tuple[str, int]) -> None:
    unit, amount = case
    assert parse_duration(f"{amount}{unit}") == timedelta(**{UNITS[unit]: amount})
