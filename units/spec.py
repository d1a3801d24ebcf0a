"""The unit spec: what a unit file may say, as pydantic models.

A **unit** is one atomic dialogue skill. It declares

* ``slots`` — where each value comes from (``source``: faker, inventory, choice, time, context,
  reference, composite, or a plugin's source; see ``units/slot_sources.py``), optionally with
  surface ``forms`` (a phone as 138-0013-8000 / 138 0013 8000 / +86…);
* ``templates`` — user sentences (Jinja2, rendered in a sandbox with StrictUndefined), each with
  a stable ``id`` used for hold-out splits, and the label fields it leaves ``missing``;
* ``label`` — the structured parameters the sample teaches, each an expression over the slots;
* optionally a ``tool`` call (arguments are expressions over slots and label), ``outcomes``
  (named conditions on the tool's real result, first match wins) and ``replies`` per outcome;
* optionally ``cases`` — weighted variants (negative cases among them) that override slots.

Expressions are Jinja2 expressions (``product.id``, ``[product.id]``, ``deadline.end``); templates
are Jinja2 templates. Both are checked when the unit is loaded, not when it renders.
"""

# without `from __future__ import annotations`: pydantic would compile each field's annotation
# string when the models are made (every command makes them); Python evaluates them here for less
import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from twinchat.units.cached_models import case_outcomes
from twinchat.units.slot_config import SlotConfig, weights_problem
from twinchat.units.slot_sources import SlotUnion

__all__ = [
    "SlotConfig",
    "FakerSlot",
    "InventorySlot",
    "ChoiceSlot",
    "TimeSlot",
    "ContextSlot",
    "CompositeSlot",
    "ReferenceSlot",
    "Slot",
    "Template",
    "LabelField",
    "ToolCall",
    "Outcome",
    "Case",
    "Noise",
    "Unit",
    "LABEL_TYPES",
    "INVENTORY_KINDS",
]


# Default factories are these functions, not the builtins dict and list: pydantic reads a factory's
# signature, and a builtin's is parsed from its text by the tokenizer, which (its pattern compiled
# first) cost every start about 18 million instructions.
def new_dict() -> dict[str, Any]:
    """A new empty dict (a field's default)."""
    return {}


def new_list() -> list[Any]:
    """A new empty list (a field's default)."""
    return []


class _Spec(BaseModel):
    # built on first validation (a unit from the built-in cache is made without any)
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class FakerSlot(SlotConfig):
    """A value from a Faker provider (zh_CN), e.g. ``company``, ``name``; or twinchat's own
    providers ``cn_mobile`` (a valid mainland mobile number) and ``cn_person`` (name, gender, title)."""

    source: Literal["faker"]
    provider: str = Field(description="Provider method name, e.g. company, name, cn_mobile, cn_person.")
    args: dict[str, Any] = Field(default_factory=new_dict, description="Keyword arguments for the provider.")
    valid: bool = Field(default=True, description="For cn_mobile: false draws a malformed number.")


#: What an inventory slot can draw.
INVENTORY_KINDS = ("product", "device", "compatible_part", "address", "service_address", "district",
                   "service_city", "fault", "order")


class InventorySlot(SlotConfig):
    """A row of the simulated world: a product of a category, a device model, a part compatible
    with another slot's device, a coherent address (anywhere, or in a city with on-site service),
    a district, a city with technicians, a fault from the knowledge base, or an order placed by
    the session clock (with its lines and the customer who placed it)."""

    source: Literal["inventory"]
    kind: Literal["product", "device", "compatible_part", "address", "service_address", "district",
                  "service_city", "fault", "order"]
    category: str | None = Field(default=None, description="Product category id (memory, ssd…) or device kind.")
    device: str | None = Field(default=None, description="For compatible_part: the slot holding the device.")
    city: str | None = Field(default=None, description="For address/district: restrict to a city adcode.")
    in_stock: bool | None = Field(default=None, description="For product: only (un)stocked products.")
    fits: str | None = Field(
        default=None, description="For device: the slot naming a product category (its value, or the value's "
        "`id`); only devices with at least one compatible part of that category are drawn.")
    fitting: bool = Field(default=True, description="With fits: false draws only devices with no compatible part "
                          "of that category.")
    statuses: list[Literal["pending_payment", "awaiting_shipment", "in_transit", "delayed", "delivered",
                           "cancelled"]] | None = Field(
        default=None, min_length=1,
        description="For order: only orders in one of these states at the session clock (default: any order "
        "placed by then); delayed = paid, not delivered yet and past its promised ETA.")
    within_days: int | None = Field(
        default=None, ge=0, le=3660, description="For order: only orders placed within this many days before the clock.")

    @model_validator(mode="after")
    def _order_fields_on_orders(self) -> "InventorySlot":
        if self.kind != "order" and (self.statuses is not None or self.within_days is not None):
            raise ValueError("statuses and within_days apply only to kind: order "
                             f"(this slot is kind: {self.kind})")
        if self.kind != "device" and self.fits is not None:
            raise ValueError(f"fits applies only to kind: device (this slot is kind: {self.kind})")
        if not self.fitting and self.fits is None:
            raise ValueError("fitting: false needs fits: naming the slot with the product category")
        return self


class ChoiceSlot(SlotConfig):
    """One of a list of values, optionally weighted."""

    source: Literal["choice"]
    values: list[Any] = Field(min_length=1, description="The values to choose from.")
    weights: list[float] | None = Field(default=None, description="Weights, one per value.")

    @model_validator(mode="after")
    def _weights_match_values(self) -> "ChoiceSlot":
        if self.weights is not None and len(self.weights) != len(self.values):
            raise ValueError(f"weights has {len(self.weights)} entries but values has {len(self.values)}")
        problem = weights_problem("weights", self.weights or [1.0])
        if problem is not None:
            raise problem
        return self


class TimeSlot(SlotConfig):
    """A time phrase from the phrase pool, resolved against the session clock (``text``, ``start``, ``end``)."""

    source: Literal["time"]
    kinds: list[Literal["day", "part_of_day", "clock", "deadline", "weekend", "relative"]] | None = Field(
        default=None, description="Phrase families to draw from (default: all)."
    )
    hours: list[Annotated[int, Field(ge=0, le=23)]] | None = Field(
        default=None, description="Only phrases naming a time on one of these hours (e.g. bookable slot starts)."
    )
    within_days: int | None = Field(
        default=None, ge=0, le=3660, description="Only phrases whose window starts within this many days of the clock."
    )


class ContextSlot(SlotConfig):
    """A value carried over from the session (an earlier turn's entity, the customer persona)."""

    source: Literal["context"]
    key: str = Field(description="Context key, e.g. customer, last_product, last_address.")
    fallback: str | None = Field(default=None, description="Slot to draw instead when the key is absent.")


class ReferenceSlot(SlotConfig):
    """A reference to entities remembered earlier in the session (a list of items with ``id``,
    ``brand``, ``short_name``): 第二款 (ordinal), 金士顿那款 (brand), 它/这款 (pronoun, one item),
    哪款/这几款 (all). The value's ``ids`` are the entities meant; its text is how they are said."""

    source: Literal["reference"]
    key: str = Field(description="Context key holding the list of items.")
    measure: list[str] = Field(
        default_factory=lambda: ["款", "个"], description="Measure words of ordinals: 第二款 / 第二个 / 第2个."
    )
    pronouns: list[str] | None = Field(
        default=None, min_length=1,
        description="Words for the one remembered item (default 它 / 这款 / 这个); each must be one that "
        "references resolve: 它, 这款, 这个, 这个订单, 这单, 这一单, 这笔订单, 刚才那个, 刚才那单.")
    prefer: str | None = Field(
        default=None,
        description="Context key of the item the customer has in mind (e.g. the order they asked about): "
        "when it is among the items, the reference is to it; otherwise to any item.")


class CompositeSlot(SlotConfig):
    """A value built from other slots with a template (e.g. road + company name as a detail address)."""

    source: Literal["composite"]
    template: str = Field(description="Jinja2 template over other slots.")


#: A slot: the config of one registered source, chosen by its ``source`` (see units/slot_sources.py).
Slot = Annotated[SlotConfig, SlotUnion()]


class Template(_Spec):
    """A user sentence template."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="Stable id, used for hold-out splits.")
    text: str = Field(min_length=1, description="Jinja2 template over the slots.")
    missing: list[str] = Field(default_factory=new_list, description="Label fields this text does not state (null).")
    label: dict[str, str] = Field(
        default_factory=new_dict,
        description="Label fields computed differently for this template (field → expression), e.g. a "
        "province the text states only when a municipality's name carries it.",
    )
    source: str | None = Field(default=None, description="Where the template came from (e.g. paraphrase).")


LABEL_TYPES = ("str", "int", "float", "bool", "phone", "datetime", "list", "object")


class LabelField(_Spec):
    """One extracted parameter: a typed value computed from the slots."""

    type: Literal["str", "int", "float", "bool", "phone", "datetime", "list", "object"] = "str"
    value: str = Field(description="Jinja2 expression over the slots, e.g. person.name.")
    grounded: Literal["text", "digits", "time", "reference", "derived"] = Field(
        default="text",
        description="How verification finds the value in the user text: verbatim (text), as the same "
        "digits (digits), as a time phrase resolving to it (time), as a reference (第二款, 金士顿那款) "
        "resolving to these ids among the remembered items (reference), or not at all (derived).",
    )
    description: str | None = None


class ToolCall(_Spec):
    """The call the assistant makes: tool name and argument expressions over slots and label."""

    name: str
    arguments: dict[str, str] = Field(description="Argument name → Jinja2 expression.")


class Outcome(_Spec):
    """A named outcome: the first whose condition holds on the tool result names the sample's outcome."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    when: str | None = Field(default=None, description="Jinja2 condition over result, label, slots; none = always.")


class Case(_Spec):
    """A weighted variant of the unit (a negative case among them), overriding some slots."""

    # built on first validation: the slot union is read from the registry then
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    weight: float = Field(gt=0, allow_inf_nan=False)
    slots: dict[str, Slot] = Field(default_factory=new_dict, description="Slot definitions replaced in this case.")
    templates: list[str] | None = Field(default=None, description="Template ids allowed in this case.")
    outcome: str | None = Field(default=None, description="Outcome forced by this case (no tool call).")
    produces: list[str] | None = Field(
        default=None, min_length=1,
        description="With outcome_weights: the target outcomes this case is drawn for (a draw that ends in "
        "another outcome is redrawn, as always). Omitted: every outcome of `outcomes` (for a case with "
        "`outcome`: that one).",
    )


class Noise(_Spec):
    """Surface noise on the user texts: how real customers type (the engine's noise layer)."""

    rate: float = Field(ge=0, le=1, allow_inf_nan=False,
                        description="Share of user texts noised (0: none, the output as without noise).")
    kinds: list[Literal["punctuation", "emoji", "typo", "abbreviation", "spaces"]] = Field(
        default_factory=lambda: ["punctuation", "emoji", "typo", "abbreviation", "spaces"], min_length=1,
        description="Kinds drawn from: punctuation left out or full-width, an emoji, a homophone or look-alike "
        "typo, a pinyin abbreviation (客服 → kf), a space typed between characters.")


class Unit(_Spec):
    """One atomic dialogue skill."""

    # built on first validation: the slot union is read from the registry then
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    kind: Literal["unit"] = "unit"
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    language: str = "zh"
    description: str = ""
    instruction: str | None = Field(default=None, description="Instruction for extraction data (alpaca).")
    slots: dict[str, Slot]
    templates: list[Template] = Field(min_length=1)
    label: dict[str, LabelField] = Field(default_factory=new_dict)
    tool: ToolCall | None = None
    outcomes: list[Outcome] = Field(default_factory=new_list)
    replies: dict[str, list[str]] = Field(default_factory=new_dict, description="Outcome id → reply templates.")
    cases: list[Case] = Field(default_factory=new_list)
    outcome_weights: dict[str, float] | None = Field(
        default=None,
        description="Target share of each outcome. A sample first draws its outcome, then is redrawn "
        "(deterministically) until the real tool result gives that outcome; omitted outcomes are not "
        "targeted. Without this, outcomes fall as the world makes them.",
    )
    max_redraws: int = Field(default=40, ge=1, le=1000, description="Redraws allowed per sample for outcome_weights.")
    noise: Noise | None = Field(default=None, description="Surface noise on this unit's user texts.")
    unreached: dict[str, str] = Field(
        default_factory=new_dict,
        description="Outcome id → why composing does not reach it (e.g. only malformed arguments give it); "
        "every other outcome is one composed sessions show.")

    @model_validator(mode="after")
    def _consistent(self) -> "Unit":
        seen: set[str] = set()
        for i, t in enumerate(self.templates):
            if t.id in seen:
                raise _at(f"duplicate template id {t.id!r}", "templates", i, "id")
            seen.add(t.id)
            for name in t.missing:
                if name not in self.label:
                    raise _at(f"template {t.id!r}: missing field {name!r} is not a label field",
                              "templates", i, "missing")
            for name in t.label:
                if name not in self.label:
                    raise _at(f"template {t.id!r}: label override {name!r} is not a label field",
                              "templates", i, "label", name)
        outcome_ids = {o.id for o in self.outcomes} | {c.outcome for c in self.cases if c.outcome}
        for oid in self.replies:
            if oid not in outcome_ids:
                raise _at(f"replies for unknown outcome {oid!r} (outcomes: {sorted(outcome_ids)})", "replies", oid)
        for i, o in enumerate(self.outcomes):
            if self.replies and o.id not in self.replies:
                raise _at(f"outcome {o.id!r} has no reply templates", "outcomes", i)
        for ci, case in enumerate(self.cases):
            for name in case.slots:
                if name not in self.slots:
                    raise _at(f"case {case.id!r} overrides undefined slot {name!r}", "cases", ci, "slots", name)
            for tid in case.templates or []:
                if tid not in seen:
                    raise _at(f"case {case.id!r} names unknown template {tid!r}", "cases", ci, "templates")
            if case.outcome and self.replies and case.outcome not in self.replies:
                raise _at(f"case {case.id!r}: outcome {case.outcome!r} has no reply templates", "cases", ci)
            if case.produces is not None and case.outcome:
                raise _at(f"case {case.id!r}: a case with `outcome` produces only that; drop `produces`",
                          "cases", ci, "produces")
            for oid in case.produces or []:
                if oid not in {o.id for o in self.outcomes}:
                    raise _at(f"case {case.id!r}: produces unknown outcome {oid!r} "
                              f"(outcomes: {sorted(o.id for o in self.outcomes)})", "cases", ci, "produces")
        for oid in self.unreached:
            if oid not in outcome_ids:
                raise _at(f"unreached names unknown outcome {oid!r} (outcomes: {sorted(outcome_ids)})", "unreached", oid)
        for oid, weight in (self.outcome_weights or {}).items():
            if not math.isfinite(weight):
                raise _at(f"outcome_weights: weight of {oid!r} must be a finite number", "outcome_weights", oid)
        if self.outcome_weights and not any(w > 0 for w in self.outcome_weights.values()):
            raise _at("outcome_weights: at least one weight must be above 0", "outcome_weights")
        for oid, weight in (self.outcome_weights or {}).items():
            if oid not in outcome_ids:
                raise _at(f"outcome_weights names unknown outcome {oid!r} (outcomes: {sorted(outcome_ids)})",
                          "outcome_weights", oid)
            if weight < 0:
                raise _at(f"outcome_weights: weight of {oid!r} must not be negative", "outcome_weights", oid)
            if weight > 0 and self.cases and not any(oid in self.case_outcomes(c) for c in self.cases):
                raise _at(f"outcome_weights: no case can end in {oid!r} (a case with `outcome` ends in that one, "
                          f"a case with `produces` in those)", "outcome_weights", oid)
        return self

    def case_outcomes(self, case: Case) -> set[str]:
        """The outcomes a draw of ``case`` is accepted in when outcome_weights targets one."""
        return case_outcomes(self, case)


def _at(message: str, *loc: str | int) -> PydanticCustomError:
    """A validation error that carries where in the file it is (the loader turns it into a line)."""
    return PydanticCustomError("unit", message, {"at": list(loc)})
