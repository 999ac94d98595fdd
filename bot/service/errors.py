"""Typed errors the service raises; the Slack layer shows each as a clear message."""

from __future__ import annotations

from collections.abc import Sequence


class NotAllowedError(PermissionError):
    """The actor may not do this; the message is fit to show them."""


class NotFoundError(LookupError):
    """The escalation or article does not exist (any more)."""


class UnknownStageError(ValueError):
    """A stage id that the stage model does not have."""

    def __init__(self, stage: str, known: Sequence[str]) -> None:
        super().__init__(f"unknown stage {stage!r}; the stages are: {', '.join(known)}")
        self.stage = stage


class InvalidUserIdError(ValueError):
    """Not something a Slack user id can be."""


class InvalidDraftError(ValueError):
    """A draft article the knowledge base's validator refuses; `problems` say why, by field."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        super().__init__("; ".join(message for _, message in problems))
        self.problems = list(problems)  # (field or "", message)


# Refusals a person can be told about: normal outcomes, not failures.
REFUSALS = (NotAllowedError, NotFoundError, UnknownStageError, InvalidDraftError)
