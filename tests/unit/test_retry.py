"""The gateway's retry policy: what Slack's answers mean for the next attempt."""

from datetime import timedelta

from bot.slack import retry


def test_a_429_waits_what_slack_asks() -> None:
    verdict = retry.after_slack_error(429, "ratelimited", 0, {"Retry-After": "7"})
    assert verdict.retry and verdict.delay == timedelta(seconds=7)


def test_a_429_without_a_readable_header_waits_a_second() -> None:
    assert retry.after_slack_error(429, "", 3, {"Retry-After": "soon"}).delay.total_seconds() == 1
    assert retry.after_slack_error(429, "", 3, {}).delay.total_seconds() == 1


def test_server_errors_back_off_exponentially_up_to_a_minute() -> None:
    delays = [retry.after_slack_error(503, "", n).delay.total_seconds() for n in (0, 1, 2, 9)]
    assert delays == [1, 2, 4, 60]


def test_slacks_transient_errors_are_retried_and_others_are_final() -> None:
    assert retry.after_slack_error(200, "internal_error", 0).retry
    final = retry.after_slack_error(200, "channel_not_found", 0)
    assert not final.retry and final.reason == "channel_not_found"


def test_a_dropped_connection_is_always_retried() -> None:
    verdict = retry.after_connection_error(2, "timed out")
    assert verdict.retry and verdict.delay == timedelta(seconds=4)
    assert "timed out" in verdict.reason


def test_a_call_is_given_up_after_the_last_attempt() -> None:
    assert not retry.exhausted(retry.MAX_ATTEMPTS - 1)
    assert retry.exhausted(retry.MAX_ATTEMPTS)


def test_a_rate_limit_never_uses_up_a_calls_attempts() -> None:
    assert not retry.after_slack_error(429, "ratelimited", 9, {"Retry-After": "1"}).counts
    assert retry.after_slack_error(503, "", 9).counts
