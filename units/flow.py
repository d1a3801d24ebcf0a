"""The flow spec: how units chain into a multi-turn session.

A **flow** file (YAML, beside the units, with ``kind: flow``) names a start step and, per step,
the unit it plays and where the session goes next depending on the step's outcome::

    kind: flow
    id: memory_upgrade
    title: 内存升级导购
    start: ask_part
    steps:
      - id: ask_part
        unit: shop_ask_part
        remember: {options: result.products, device: label.device_id}
        next:
          found: [{step: ask_delivery, weight: 4}, {step: end, weight: 1}]
          none: end
      - id: ask_delivery
        unit: shop_delivery_of_options
        next: {arrives: order, too_late: end, "*": end}

``remember`` stores expressions over the step's ``label``, ``result``, ``slots`` and ``outcome``
in the session context, where later units read them with ``source: context`` or
``source: reference`` slots (它, 这款, 第二个, 金士顿那款, 刚才那个地址). ``next`` maps an outcome
(``*`` for any other) to a step id or ``end``, or to weighted choices of them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from twinchat.units.spec import Noise

__all__ = ["Branch", "Step", "Flow", "END"]

#: The step id that ends a session.
END = "end"


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Branch(_Spec):
    """One weighted way on from a step."""

    step: str = Field(description="The next step's id, or 'end'.")
    weight: float = Field(default=1.0, gt=0)


class Step(_Spec):
    """One step of a flow: a unit played once, what to remember, where to go next."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    unit: str = Field(description="Id of the unit this step plays.")
    remember: dict[str, str] = Field(
        default_factory=dict,
        description="Context key → expression over label, result, slots, outcome (kept for later steps).",
    )
    next: dict[str, str | list[Branch]] = Field(
        default_factory=dict,
        description="Outcome (or '*') → next step id / 'end', or weighted branches. Missing: end.",
    )
    thought: str | None = Field(
        default=None, description="ReAct thought template for the assistant's tool-calling turn."
    )


class Flow(_Spec):
    """A chain of steps with branch probabilities."""

    kind: Literal["flow"]
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    description: str = ""
    language: str = "zh"
    style: Literal["chat", "react"] = Field(
        default="chat", description="react: assistant tool turns carry Thought/Action, as in FireAct."
    )
    customer: Literal["anywhere", "service_city", "order"] = Field(
        default="anywhere",
        description="Who the customer is: drawn anywhere, or in a city with technicians; or (order) the owner "
        "of the order the start step draws, which that step must `remember` as `customer`.",
    )
    start: str
    max_steps: int = Field(default=12, ge=1, le=50)
    noise: Noise | None = Field(
        default=None, description="Surface noise on the session's user texts (in place of each unit's own).")
    steps: list[Step] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Flow:
        ids = [s.id for s in self.steps]
        for i, sid in enumerate(ids):
            if sid == END:
                raise _at("'end' is reserved for the end of a session", "steps", i, "id")
            if sid in ids[:i]:
                raise _at(f"duplicate step id {sid!r}", "steps", i, "id")
        if self.start not in ids:
            raise _at(f"start step {self.start!r} is not a step (steps: {', '.join(ids)})", "start")
        known = set(ids) | {END}
        for i, step in enumerate(self.steps):
            for outcome, target in step.next.items():
                targets = [target] if isinstance(target, str) else [b.step for b in target]
                for t in targets:
                    if t not in known:
                        raise _at(f"step {step.id!r}: outcome {outcome!r} goes to unknown step {t!r}",
                                  "steps", i, "next", outcome)
        return self

    def step(self, step_id: str) -> Step:
        """The step with this id."""
        return next(s for s in self.steps if s.id == step_id)


def _at(message: str, *loc: str | int) -> PydanticCustomError:
    return PydanticCustomError("flow", message, {"at": list(loc)})
