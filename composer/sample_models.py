"""The shape of a line of a ``twinchat generate`` file (:class:`Sample`), and how schema problems are
worded; :mod:`twinchat.composer.session_models` (which re-exports these) holds the session models.

Apart from them so that checking a samples file (generate checks the file it replaces, an export
the files it reads) makes only the sample's models, not those of sessions and turns.
"""

# without `from __future__ import annotations`: pydantic would compile each field's annotation
# string when the models are made; Python evaluates them here for less
from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from twinchat.composer.errors import ComposerError
from twinchat.composer.sample_shape import plainly_a_sample

__all__ = ["Clock", "Sample", "SampleToolCall", "SessionSchemaError", "problem_lines", "schema_error",
           "sample_problems", "check_sample", "shape_problems", "plainly_a_sample"]

#: A session clock: ``YYYY-MM-DD HH:MM:SS``.
Clock = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$")]

#: built on first use: a command checks one kind of dict (a samples file's line, a stored session), not all
_CONFIG = ConfigDict(extra="forbid", strict=True, defer_build=True)


class SessionSchemaError(ComposerError):
    """A session (or a sample) does not have the shape twinchat writes; the message names it and the field."""


class SampleToolCall(BaseModel):
    """The tool call of a generated sample (it has no id: a sample is one exchange)."""

    model_config = _CONFIG

    name: str = Field(description="The tool called.")
    arguments: dict[str, Any] = Field(description="The arguments, as the tool's JSON schema describes them.")


class Sample(BaseModel):
    """One line of a ``twinchat generate`` file: a single-unit exchange."""

    model_config = _CONFIG

    unit: str = Field(description="The unit generated.")
    index: int = Field(description="The sample's index among the unit's samples of that seed.")
    template: str = Field(description="The id of the user template rendered.")
    case: str | None = Field(description="The id of the unit's case drawn, if the unit has cases.")
    now: Clock = Field(description="The clock the sample was generated at, ``YYYY-MM-DD HH:MM:SS``.")
    text: str = Field(description="The customer's sentence.")
    label: dict[str, Any] | None = Field(
        description="The extracted parameters (an export counts a sample without any as having no label).")
    tool_call: SampleToolCall | None = Field(description="The tool call the sentence triggers, if any.")
    result: dict[str, Any] | None = Field(description="The tool's result, if a tool was called.")
    outcome: str | None = Field(description="The outcome the reply renders, if the unit has outcomes.")
    reply: str | None = Field(description="The assistant's reply, if the unit has replies.")
    refs: dict[str, list[dict[str, Any]]] | None = Field(
        default=None, description="Remembered items the sentence may refer to; present only when given.")


#: the tags of the turn union, which pydantic puts in an error's path (problem_lines leaves them out)
_ROLES = frozenset({"user", "assistant", "tool"})


def problem_lines(exc: ValidationError, prefix: tuple[str | int, ...] = ()) -> list[str]:
    """Each error of ``exc`` as ``path: message``: the path in the dict (under ``prefix``), the turn's
    role (the union's tag, which pydantic puts in the path) left out."""
    out = []
    for err in exc.errors(include_url=False):
        full = (*prefix, *err["loc"])
        loc = [str(p) for i, p in enumerate(full)
               if not (i >= 2 and p in _ROLES and full[i - 2] == "turns" and isinstance(full[i - 1], int))]
        msg = err["msg"][:1].lower() + err["msg"][1:]
        out.append(f"{'.'.join(loc)}: {msg}" if loc else msg)
    return out


def schema_error(what: str, problems: Sequence[str]) -> SessionSchemaError:
    """The error naming ``what`` (``session ID``, ``FILE:LINE``) and the first of its problems."""
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return SessionSchemaError(f"{what}: {problems[0]}{more}")


def shape_problems(model: type[BaseModel], value: Any) -> list[str]:
    """What is wrong with ``value`` (a dict, as written) as a ``model``, as ``path: message``; [] when nothing."""
    if not isinstance(value, dict):
        return ["not a JSON object"]
    try:
        model.model_validate(value)
    except ValidationError as exc:
        return problem_lines(exc)
    return []


def sample_problems(sample: Any) -> list[str]:
    """What is wrong with the shape of one generated sample, as ``path: message``; [] when nothing."""
    if plainly_a_sample(sample):
        return []
    return shape_problems(Sample, sample)


def check_sample(sample: Any, where: str) -> None:
    """Raise SessionSchemaError naming ``where`` (``FILE:LINE``) and the first field at fault, if any."""
    problems = sample_problems(sample)
    if problems:
        raise schema_error(where, problems)
