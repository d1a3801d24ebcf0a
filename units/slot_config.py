"""The slot config's base model: the pydantic side of the slot-source registry.

:class:`SlotConfig` is what every source's config model extends. Kept apart from the registry (:mod:`twinchat.units.slot_sources`) so that reading the registry, and running the
built-in units from their cache, does not import pydantic.

Dependency rule: this module imports nothing of twinchat's.
"""

# without `from __future__ import annotations`: pydantic would compile each field's annotation
# string when the models are made (every command makes them); Python evaluates them here for less
import math
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

__all__ = ["SlotConfig", "weights_problem"]


def weights_problem(field: str, weights: Sequence[float]) -> PydanticCustomError | None:
    """What is wrong with a list of draw weights, located at the bad weight (None when sound): each
    must be a finite number not below 0, and they must add up to a finite number above 0."""
    for i, w in enumerate(weights):
        if not math.isfinite(w) or w < 0:
            return PydanticCustomError("unit", f"{field}: weight {w!r} must be a finite number, 0 or more",
                                       {"at": [field, i]})
    total = math.fsum(weights)
    if not math.isfinite(total):
        return PydanticCustomError("unit", f"{field}: the weights add up past the largest number", {"at": [field]})
    if total <= 0:
        return PydanticCustomError("unit", f"{field}: at least one weight must be above 0", {"at": [field]})
    return None


class SlotConfig(BaseModel):
    """Base of every slot source's config: the fields all slots share.

    A source's config adds ``source: Literal["its name"]`` and its own fields.
    """

    # built on first validation (a unit from the built-in cache is made without any)
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    forms: list[str] | None = Field(
        default=None,
        description="Surface forms to draw from (e.g. plain, dashed, spaced, plus86 for a phone); "
        "the drawn form is the slot's text. Default: the source's own default form.",
    )
    form_weights: list[float] | None = Field(default=None, description="Weights of `forms`, same length.")

    @model_validator(mode="after")
    def _weights_match_forms(self) -> "SlotConfig":
        if self.form_weights is not None and len(self.form_weights) != len(self.forms or []):
            raise ValueError("form_weights must have one weight per form")
        problem = weights_problem("form_weights", self.form_weights or [1.0])
        if problem is not None:
            raise problem
        return self
