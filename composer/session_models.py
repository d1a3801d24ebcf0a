"""The shape of a composed session and of a generated sample, as pydantic models (the sample's, and
the wording of schema problems, are in :mod:`twinchat.composer.sample_models`, re-exported here).

Sessions travel as plain dicts (compose writes them, the store keeps them as JSON, exporters read
them); these models say what those dicts hold and check them where they come in from outside: a
row read from the session store, a turn edited by a curator, a line of a samples file. Built from
a valid dict with ``model_validate``, a model dumps back to the same dict with
:func:`session_dict` (same keys, same order, keys that were absent left out), so the JSON written
from either is byte-identical.

Problems are reported as ``path: message`` with the path in the dict (``turns.3.tool_calls.0.name:
field required``), and a :class:`SessionSchemaError` names the session as well.
"""

# without `from __future__ import annotations`: pydantic would compile each field's annotation
# string when the models are made; Python evaluates them here for less
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from twinchat.composer.sample_models import (
    Clock,
    Sample,
    SampleToolCall,
    SessionSchemaError,
    check_sample,
    problem_lines,
    sample_problems,
    schema_error,
    shape_problems,
)

__all__ = ["Session", "Turn", "UserTurn", "AssistantTurn", "ToolTurn", "ToolCall", "Regeneration", "Sample",
           "SampleToolCall", "SessionSchemaError", "session_problems", "check_session", "check_turn",
           "sample_problems", "check_sample", "schema_error", "session_dict", "session_name", "problem_lines"]

#: built on first use: a command checks one kind of dict (a samples file's line, a stored session), not all
_CONFIG = ConfigDict(extra="forbid", strict=True, defer_build=True)


class ToolCall(BaseModel):
    """One tool call of an assistant turn."""

    model_config = _CONFIG

    id: str = Field(description="The call's id (``call_N``, N the step's number); its tool turn answers to it.")
    name: str = Field(description="The tool called.")
    arguments: dict[str, Any] = Field(description="The arguments, as the tool's JSON schema describes them.")


class UserTurn(BaseModel):
    """What the customer says, with the label it teaches."""

    model_config = _CONFIG

    role: Literal["user"] = Field(description="Always ``user``.")
    content: str = Field(description="The customer's sentence.")
    step: str | None = Field(
        default=None, description="The id of the flow step that played this turn (every composed turn has it; "
                                  "a turn added by other means may not).")
    unit: str = Field(description="The unit the sentence comes from.")
    template: str = Field(description="The id of the unit's user template rendered (hold-out splits use it).")
    label: dict[str, Any] = Field(description="The extracted parameters (the unit's label fields).")
    refs: dict[str, list[dict[str, Any]]] | None = Field(
        default=None, description="Remembered items the sentence may refer to (第二款), by reference slot; "
                                  "present only when the unit has reference slots.")


class AssistantTurn(BaseModel):
    """What the assistant says: either tool calls (with a ReAct thought) or a reply with its outcome."""

    model_config = _CONFIG

    role: Literal["assistant"] = Field(description="Always ``assistant``.")
    content: str = Field(description="The reply's text; empty on a turn that calls tools.")
    thought: str | None = Field(
        default=None, description="The ReAct thought before the tool calls (None unless the flow's style is "
                                  "react); present only on a turn that calls tools.")
    step: str | None = Field(
        default=None, description="The id of the flow step that played this turn (every composed turn has it; "
                                  "a turn added by other means may not).")
    tool_calls: list[ToolCall] | None = Field(
        default=None, description="The tool calls, in order; present only on a turn that calls tools.")
    outcome: str | None = Field(
        default=None, description="The unit's outcome the reply renders; present only on a reply.")


class ToolTurn(BaseModel):
    """A tool's result, as the world gave it."""

    model_config = _CONFIG

    role: Literal["tool"] = Field(description="Always ``tool``.")
    tool_call_id: str = Field(description="The id of the call this result answers.")
    name: str = Field(description="The tool called.")
    content: dict[str, Any] = Field(description="The tool's result (a tool error is ``{\"error\": {...}}``).")


#: One turn of a session, told apart by its ``role``.
Turn = Annotated[UserTurn | AssistantTurn | ToolTurn, Field(discriminator="role")]


class Regeneration(BaseModel):
    """Where a regenerated session's content comes from."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True, defer_build=True)

    seed: int = Field(description="The composition seed the content was composed with.")
    as_: str = Field(alias="as", description="The id the content has under that seed.")


class Session(BaseModel):
    """A multi-turn conversation composed along a flow, with its clock and customer."""

    model_config = _CONFIG

    id: str = Field(description="``flow/seed/index``.")
    flow: str = Field(description="The flow composed.")
    seed: int = Field(description="The composition seed.")
    index: int = Field(description="The session's index among the flow's sessions of that seed.")
    world_seed: int = Field(description="The seed of the world the session was grounded on.")
    now: Clock = Field(description="The session clock, ``YYYY-MM-DD HH:MM:SS``.")
    customer: dict[str, Any] = Field(description="The customer: name, title, phone, address and its parts….")
    turns: list[Turn] = Field(description="The turns, in order.")
    steps: list[str] = Field(description="The ids of the flow steps played, in order.")
    outcome: str | None = Field(description="The outcome of the last step played.")
    regenerated: Regeneration | None = Field(
        default=None, description="Present only on a session composed anew with another seed (in the editor).")
    limit: str | None = Field(
        default=None, description="Present only on a session that stopped where a template went past a limit of "
        "the sandbox (``turn N: limit: …``): it fails verification with this reason.")


@lru_cache(maxsize=1)
def _turn_adapter() -> TypeAdapter[Any]:
    """The validator of one turn (made on first use, as the models are)."""
    return TypeAdapter(Turn)


def session_problems(session: Any) -> list[str]:
    """What is wrong with the shape of ``session`` (a dict, as stored), as ``path: message``; [] when nothing."""
    return shape_problems(Session, session)


def session_name(session: Any) -> str:
    """The session's id as an error names it (``?`` when it has none)."""
    sid = session.get("id") if isinstance(session, dict) else None
    return sid if isinstance(sid, str) else "?"


def check_session(session: Any) -> None:
    """Raise SessionSchemaError naming the session and the first field at fault, if any."""
    problems = session_problems(session)
    if problems:
        raise schema_error(f"session {session_name(session)}", problems)


def check_turn(session: Any, n: int) -> None:
    """Raise SessionSchemaError if turn ``n`` (1-based) of ``session`` is malformed (path from the session)."""
    try:
        _turn_adapter().validate_python(session["turns"][n - 1])
    except ValidationError as exc:
        problems = problem_lines(exc, ("turns", n - 1))
        raise schema_error(f"session {session_name(session)}", problems) from exc


def session_dict(model: Session) -> dict[str, Any]:
    """The dict a session model was built from (keys absent there are left out), ready for JSON."""
    return model.model_dump(mode="json", by_alias=True, exclude_unset=True)
