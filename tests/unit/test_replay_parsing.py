"""Replay files: every line is a Script or a `FILE:LINE: message` problem, never a crash."""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from bot.bootstrap import Services, compose
from bot.config import Settings
from bot.service.replay import ACTIONS, ReplayInputError, Script, read_scripts, replay
from lifecycle import StageModel, load_stage_model
from tests.fakes.store import FakeStore

MODEL: StageModel = load_stage_model(Settings().stage_model)
HI = {"at": "2026-01-05T10:00Z", "text": "hi"}


def line(**fields: object) -> str:
    """One conversation as a JSON line: a valid one, with `fields` replacing or adding keys."""
    conversation = {"id": "c1", "customer": "U1", "messages": [HI]} | fields
    return json.dumps(conversation)


def problems(path: Path, content: str | bytes, horizon: timedelta = timedelta(0)) -> list[str]:
    """The problems `read_scripts` reports for a file with `content`; fails if there are none."""
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    with pytest.raises(ReplayInputError) as caught:
        read_scripts(path, MODEL, horizon=horizon)
    return caught.value.problems


@pytest.mark.parametrize("text", [5, 2.5, True, ["hi"], {"hi": 1}])
def test_text_that_is_not_a_string_is_a_located_problem(tmp_path: Path, text: object) -> None:
    path = tmp_path / "r.jsonl"
    bad = line(messages=[HI, {"at": "2026-01-05T10:01Z", "text": text}])
    assert problems(path, bad) == [f"{path}:1: message 1: 'text' must be a string"]


def test_blank_text_is_refused_as_ask_refuses_it(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    [problem] = problems(path, line(messages=[{"at": "2026-01-05T10:00Z", "text": "  "}]))
    assert problem == f"{path}:1: message 0: 'text' is empty"


@pytest.mark.parametrize("key", ["id", "customer"])
@pytest.mark.parametrize("value", [7, None, ["a"], {"a": 1}, "", "   ", "a\x00b"])
def test_ids_must_be_non_empty_strings(tmp_path: Path, key: str, value: object) -> None:
    path = tmp_path / "r.jsonl"
    [problem] = problems(path, line(**{key: value}))
    assert problem.startswith(f"{path}:1: '{key}' must be ")


@pytest.mark.parametrize(("key", "value"), [("locale", 5), ("locale", ["en"]), ("locale", ""),
                                            ("stage", ["purchase"]), ("stage", 3)])  # fmt: skip
def test_locale_and_stage_must_be_strings(tmp_path: Path, key: str, value: object) -> None:
    path = tmp_path / "r.jsonl"
    [problem] = problems(path, line(**{key: value}))
    assert problem.startswith(f"{path}:1: '{key}' must be a ")


def test_a_time_that_is_not_a_string_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    [problem] = problems(path, line(messages=[{"at": 20260105, "text": "hi"}]))
    assert problem == f"{path}:1: message 0: 'at' must be an ISO 8601 time as a string"


def test_a_last_message_too_close_to_year_9999_for_the_horizon_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    late = line(messages=[{"at": "9999-12-31T23:59Z", "text": "hi"}])
    [problem] = problems(path, late, horizon=timedelta(minutes=30))
    assert problem.startswith(f"{path}:1: the last message plus the horizon (0:30:00) is past")
    assert len(read_scripts(path, MODEL, horizon=timedelta(0))) == 1


@pytest.mark.parametrize("at", ["9999-12-31T23:59-01:00", "0001-01-01T00:00+01:00"])
def test_a_time_outside_the_calendar_once_in_utc_is_refused(tmp_path: Path, at: str) -> None:
    path = tmp_path / "r.jsonl"
    [problem] = problems(path, line(messages=[{"at": at, "text": "hi"}]))
    assert problem == f"{path}:1: message 0: 'at' is out of range once converted to UTC"


def test_a_time_before_1970_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    [problem] = problems(path, line(messages=[{"at": "0001-01-01T00:00Z", "text": "hi"}]))
    assert problem.startswith(f"{path}:1: message 0: 'at' is before 1970-01-01")


def test_a_file_that_is_not_utf8_names_the_file_and_the_line(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    latin1 = line(id="c3").replace("c3", "caf\xe9").encode("latin-1")
    content = (line() + "\n" + line(id="c2") + "\n").encode() + latin1
    [problem] = problems(path, content)
    assert problem.startswith(f"{path}:3: not UTF-8 text (byte 0xe9)")


@pytest.mark.parametrize("content", ["", "\n\n  \n"])
def test_a_file_without_conversations_says_so(tmp_path: Path, content: str) -> None:
    path = tmp_path / "r.jsonl"
    assert problems(path, content) == [
        f"{path}: no conversations: the file is empty or has only blank lines"
    ]


def test_a_folder_is_reported_not_raised(tmp_path: Path) -> None:
    [problem] = problems_of_path(tmp_path)
    assert problem.startswith(f"{tmp_path}: cannot read: ")


def test_an_unreadable_file_is_reported_not_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text(line(), encoding="utf-8")

    opener = Path.open

    def refuse(self: Path, *args: object, **kwargs: object) -> object:
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return opener(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    assert problems_of_path(path) == [f"{path}: cannot read: Permission denied"]


def problems_of_path(path: Path) -> list[str]:
    with pytest.raises(ReplayInputError) as caught:
        read_scripts(path, MODEL)
    return caught.value.problems


def test_a_lone_surrogate_is_a_problem_not_a_database_crash(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    [problem] = problems(path, line(messages=[{"at": "2026-01-05T10:00Z", "text": "\ud800"}]))
    assert problem == f"{path}:1: message 0: 'text' is not valid Unicode (a lone surrogate)"


def test_json_nested_too_deeply_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    assert problems(path, "[" * 100_000) == [f"{path}:1: not valid JSON: nested too deeply"]


def test_a_line_separator_inside_a_string_does_not_split_the_line(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    text = "one\u2028two\x85three"
    path.write_text(line(messages=[{"at": "2026-01-05T10:00Z", "text": text}]) + "\n" + line(
        id="c2"), encoding="utf-8")  # fmt: skip
    first, second = read_scripts(path, MODEL)
    assert first.steps[0].text == text and second.id == "c2"


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + line().encode())
    [script] = read_scripts(path, MODEL)
    assert script.id == "c1"


def test_times_are_kept_in_utc(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text(line(messages=[{"at": "2026-01-05T10:00+02:00", "text": "hi"}]), "utf-8")
    [script] = read_scripts(path, MODEL)
    assert script.steps[0].at == datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    assert script.steps[0].at.tzinfo is UTC


# Property tests: a shared folder, since hypothesis reruns the test body without new fixtures.
@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="replay-props-") as name:
        yield Path(name)


LOCATED = re.compile(r"^.+?(:\d+)?: \S")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
# Times across the whole calendar, in any fixed zone, and things that are not times at all.
zones = st.builds(timezone, st.timedeltas(min_value=timedelta(hours=-23, minutes=-59),
                                          max_value=timedelta(hours=23, minutes=59)))  # fmt: skip
times = st.datetimes(timezones=zones).map(datetime.isoformat) | st.datetimes().map(
    datetime.isoformat) | json_values  # fmt: skip
texts = st.text() | st.sampled_from(["\ud800", "a\udcffb", "", "\x00", "how can I pay?"])
strings = st.text(max_size=12) | json_values
message = st.fixed_dictionaries(
    {"at": times},
    optional={"text": texts | json_values, "action": st.sampled_from(ACTIONS) | json_values},
)
conversation = st.fixed_dictionaries(
    {"id": strings, "customer": strings, "messages": st.lists(message, max_size=4) | json_values},
    optional={
        "locale": st.sampled_from(["en", "it"]) | strings,
        "stage": st.sampled_from(list(MODEL.ids)) | strings,
    },  # fmt: skip
)
names = st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=12).filter(
    str.strip
)
# Conversations that mostly pass: times in order from 1970 to the end of the calendar.
ordered_times = st.lists(
    st.datetimes(min_value=datetime(1970, 1, 2), timezones=zones), min_size=1, max_size=4
).map(sorted)
plausible = st.builds(
    lambda id_, customer, times, says, extra: {
        "id": id_, "customer": customer,
        "messages": [{"at": at.isoformat(), **said} for at, said in zip(times, says, strict=False)],
        **extra,
    },
    names, names, ordered_times,
    st.lists(st.builds(lambda text: {"text": f"q {text}"}, st.text())
             | st.builds(lambda action: {"action": action}, st.sampled_from(ACTIONS)),
             min_size=4, max_size=4),
    st.fixed_dictionaries({}, optional={"locale": st.sampled_from(["en", "it", "de", "xx"]),
                                        "stage": st.sampled_from(list(MODEL.ids))}),
)  # fmt: skip
horizons = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=365_000))


def outcome(folder: Path, content: bytes, horizon: timedelta = timedelta(0)) -> list[Script]:
    """Scripts, or [] after checking each problem names the file (and the line, for a line)."""
    path = folder / "case.jsonl"
    path.write_bytes(content)
    try:
        scripts = read_scripts(path, MODEL, horizon=horizon)
    except ReplayInputError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.startswith(f"{path}:") and LOCATED.match(problem), problem
        return []
    for script in scripts:
        assert isinstance(script.id, str) and script.id.strip()
        assert isinstance(script.customer, str) and script.customer.strip()
        assert script.locale is None or isinstance(script.locale, str)
        assert script.steps and all(step.at.tzinfo is UTC for step in script.steps)
        assert all(step.text is None or isinstance(step.text, str) for step in script.steps)
        script.steps[-1].at + horizon  # noqa: B018 - the final timer run must be a real time
    return scripts


@given(st.text())
def test_any_text_file_is_scripts_or_located_problems(folder: Path, text: str) -> None:
    outcome(folder, text.encode("utf-8", "surrogatepass"))


@given(st.binary())
def test_any_bytes_are_scripts_or_located_problems(folder: Path, data: bytes) -> None:
    outcome(folder, data)


@given(st.lists(json_values, min_size=1, max_size=3))
def test_any_json_lines_are_scripts_or_located_problems(folder: Path, values: list) -> None:
    outcome(folder, "\n".join(json.dumps(value) for value in values).encode())


@given(st.lists(conversation, min_size=1, max_size=3), horizons)
def test_near_valid_conversations_are_scripts_or_located_problems(
    folder: Path, conversations: list[dict], horizon: timedelta
) -> None:
    content = "\n".join(json.dumps(each) for each in conversations)
    outcome(folder, content.encode("utf-8", "surrogatepass"), horizon)


@pytest.fixture(scope="module")
def composed(domain) -> tuple[FakeStore, Services]:  # noqa: ANN001 - (kb, model, detector)
    """The services over one FakeStore, emptied before each example."""
    store = FakeStore()
    return store, compose(store, *domain)


@given(st.lists(plausible, min_size=1, max_size=2),
       st.sampled_from([timedelta(0), timedelta(minutes=30)]) | horizons)  # fmt: skip
def test_every_accepted_conversation_replays_without_error(
    folder: Path, composed: tuple[FakeStore, Services], conversations: list[dict],
    horizon: timedelta,
) -> None:  # fmt: skip
    content = "\n".join(json.dumps(each) for each in conversations)
    scripts = outcome(folder, content.encode("utf-8", "surrogatepass"), horizon)
    store, services = composed
    store.clear()
    event("replayed" if scripts else "refused")
    results = list(replay(services.desk, scripts, horizon))
    assert [result["id"] for result in results] == [script.id for script in scripts]
