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

``tools`` (optional) lists the tools every exported record of the flow carries; without it, a
record carries the tools the flow's units call.

``greeting`` and ``closing`` (optional) let the engine open a session with a greeting the agent
answers (您好 / 在吗) and end it with the customer's thanks and the agent's closing (不客气,祝您生活
愉快), each in a given ``share`` of the sessions, played by the unit named (a unit without a tool).
``then`` (optional) lists flows a session may continue into once this one ends — a second task
of the same customer at the same clock, asked as customers switch topic (对了,还有个事…) — each
in a given ``share`` of the sessions (``after``: only when the last outcome is one of these)::

    greeting: {unit: chat_greeting, share: 0.3}
    closing: {unit: chat_thanks, share: 0.4, unless: [tool_error]}
    then:
      - {flow: return_exchange, share: 0.1, after: [delivered]}

``remember`` stores expressions over the step's ``label``, ``result``, ``slots`` and ``outcome``
in the session context, where later units read them with ``source: context`` or
``source: reference`` slots (它, 这款, 第二个, 金士顿那款, 刚才那个地址). ``next`` maps an outcome
(``*`` for any other) to a step id or ``end``, or to weighted choices of them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from twinchat.units.spec import Noise, new_dict, new_list

__all__ = ["Branch", "Step", "Aside", "Then", "Flow", "END", "ASIDE_STEPS"]

#: The step id that ends a session.
END = "end"
#: The step ids a session records for its greeting and its closing (no flow step may take them).
ASIDE_STEPS = ("greeting", "closing")


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
        default_factory=new_dict,
        description="Context key → expression over label, result, slots, outcome (kept for later steps).",
    )
    next: dict[str, str | list[Branch]] = Field(
        default_factory=new_dict,
        description="Outcome (or '*') → next step id / 'end', or weighted branches. Missing: end.",
    )
    thought: str | None = Field(
        default=None, description="ReAct thought template for the assistant's tool-calling turn."
    )


class Aside(_Spec):
    """A greeting before a flow's first step, or thanks and a closing after its last."""

    unit: str = Field(description="Id of the unit played (a unit without a tool: its case forces the outcome).")
    share: float = Field(gt=0, le=1, description="Share of the sessions that get it (0.3: about 3 in 10).")
    unless: list[str] = Field(
        default_factory=new_list,
        description="Closing only: never after a session whose last outcome is one of these (e.g. tool_error).")


class Then(_Spec):
    """A second task: another flow this one may continue into, with the same customer and clock."""

    flow: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="Id of the flow continued into (from its start).")
    share: float = Field(gt=0, le=1, description="Share of the sessions (ending as `after` says) that continue.")
    after: list[str] | None = Field(
        default=None, min_length=1, description="Only after a session whose last outcome is one of these.")
    about: str | None = Field(
        default=None, pattern=r"^[a-z][a-z0-9_]*$",
        description="A context key holding an order the first task placed (a place_order result it "
        "remembered): the second task (a flow whose customer is `order`) is about that order.")


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
    tools: list[str] | None = Field(
        default=None,
        description="Tools every exported record of this flow carries (by registered name); omitted: the "
        "tools its units call. Must include those.",
    )
    start: str
    max_steps: int = Field(default=12, ge=1, le=50)
    noise: Noise | None = Field(
        default=None, description="Surface noise on the session's user texts (in place of each unit's own).")
    steps: list[Step] = Field(min_length=1)
    greeting: Aside | None = Field(default=None, description="A greeting the session may open with.")
    closing: Aside | None = Field(default=None, description="Thanks and a closing the session may end with.")
    then: list[Then] = Field(
        default_factory=new_list,
        description="Flows the session may continue into (a second task); their shares add up to at most 1 "
        "for any last outcome.")

    @model_validator(mode="after")
    def _consistent(self) -> Flow:
        ids = [s.id for s in self.steps]
        for i, sid in enumerate(ids):
            if sid == END or sid in ASIDE_STEPS:
                raise _at(f"{sid!r} is reserved for {'the end of a session' if sid == END else 'the engine'}",
                          "steps", i, "id")
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
        if self.greeting is not None and self.greeting.unless:
            raise _at("`unless` applies only to the closing", "greeting", "unless")
        for i, then in enumerate(self.then):
            if then.flow == self.id:
                raise _at(f"flow {self.id!r} cannot continue into itself", "then", i, "flow")
        for outcome in {None, *(o for t in self.then for o in t.after or ())}:
            if sum(t.share for t in self.then if t.after is None or outcome in t.after) > 1 + 1e-9:
                after = "" if outcome is None else f" after outcome {outcome!r}"
                raise _at(f"the shares of `then` add up to more than 1{after}", "then")
        return self

    def step(self, step_id: str) -> Step:
        """The step with this id."""
        return next(s for s in self.steps if s.id == step_id)


def _at(message: str, *loc: str | int) -> PydanticCustomError:
    return PydanticCustomError("flow", message, {"at": list(loc)})
