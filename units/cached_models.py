"""Models of the built-in units as their cache holds them, made without pydantic.

A built-in unit taken from ``builtin_units.jsonl`` (see :mod:`twinchat.units.builtin_cache`) for
``generate`` (:func:`twinchat.units.loader.units_for`) is made of :class:`CachedModel` objects:
each has the fields of the spec's model it stands for as plain attributes, read-only, with the
values validation gave. Reading fields is all a run of a built-in unit does with them, so such a
run imports neither pydantic nor the spec's models. Other readers get the real models.

Anything else a model offers (``model_copy``, ``model_dump``, ``==``, ``hash``, ``repr``,
pickling, iteration) is the real model's: the first time one is asked for, the real model is made
(``model_construct``, with every nested model real too, without validation: the values are the
validated ones) and answers from then on. :func:`is_model` is ``isinstance`` for both forms.

Dependency rule: this module imports nothing of twinchat's (the spec's models are imported by
name, ``"module:Name"``, when a real model is first needed).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from importlib import import_module
from typing import Any

__all__ = ["CachedModel", "CachedUnit", "SPEC", "is_model", "model_class", "real", "case_outcomes"]

#: the module of the unit spec's models
SPEC = "twinchat.units.spec"


class CachedModel:
    """One model of a cached built-in unit: its fields as attributes (see the module's text)."""

    __slots__ = ("__dict__", "_set", "_made")
    #: the real model's class, as ``"module:Name"`` (each has its own class: see :func:`model_class`)
    _place = ""

    def __init__(self, fields_set: Iterable[str], fields: dict[str, Any]) -> None:
        """``fields``: every field's value; ``fields_set``: those the file set."""
        object.__setattr__(self, "_set", frozenset(fields_set))
        object.__setattr__(self, "_made", None)
        self.__dict__.update(fields)

    def _real(self) -> Any:
        """The real model this one stands for, made once."""
        if self._made is None:
            module, name = self._place.split(":")
            cls = getattr(import_module(module), name)
            values = {k: real(v) for k, v in self.__dict__.items()}
            object.__setattr__(self, "_made", cls.model_construct(set(self._set), **values))
        return self._made

    def __getattr__(self, name: str) -> Any:  # only for what is not a field: the real model's
        return getattr(self._real(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        self._real().__setattr__(name, value)  # a frozen model: the same error

    def __delattr__(self, name: str) -> None:
        self._real().__delattr__(name)

    def __eq__(self, other: object) -> bool:
        return self._real() == real(other)

    def __hash__(self) -> int:
        return hash(self._real())

    def __repr__(self) -> str:
        return repr(self._real())

    def __iter__(self) -> Any:
        return iter(self._real())

    def __copy__(self) -> Any:
        return self._real().__copy__()

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Any:
        return self._real().__deepcopy__(memo)

    def __reduce_ex__(self, protocol: Any) -> Any:  # pickled as the real model
        return _same, (self._real(),)


def _same(value: Any) -> Any:
    return value


def case_outcomes(unit: Any, case: Any) -> set[str]:
    """The outcomes a draw of ``case`` is accepted in when ``unit``'s outcome_weights targets one."""
    if case.outcome:
        return {case.outcome}
    if case.produces is not None:
        return set(case.produces)
    return {o.id for o in unit.outcomes}


class CachedUnit(CachedModel):
    """A cached :class:`~twinchat.units.spec.Unit`, with the unit's own method."""

    __slots__ = ()

    def case_outcomes(self, case: Any) -> set[str]:
        """The outcomes a draw of ``case`` is accepted in when outcome_weights targets one."""
        return case_outcomes(self, case)


#: the class of each real model's cached ones, by the real one's place
_CLASSES: dict[str, type[CachedModel]] = {}


def model_class(place: str) -> type[CachedModel]:
    """The class of the cached models that stand for the model at ``place`` (``"module:Name"``),
    named as it (pydantic's classes take no virtual subclasses: ``isinstance`` with the real class
    is False for a cached model; :func:`is_model` asks for either)."""
    cls = _CLASSES.get(place)
    if cls is None:
        module, name = place.split(":")
        base = CachedUnit if place == f"{SPEC}:Unit" else CachedModel
        cls = _CLASSES[place] = type(name, (base,), {"__slots__": (), "__module__": __name__, "_place": place})
    return cls


def real(value: Any) -> Any:
    """``value`` with every cached model in it made real (lists and dicts copied where they hold one)."""
    if isinstance(value, CachedModel):
        return value._real()
    if type(value) is list:
        return [real(v) for v in value]
    if type(value) is dict:
        return {k: real(v) for k, v in value.items()}
    return value


def is_model(value: Any, name: str, module: str = SPEC) -> bool:
    """``isinstance(value, module.name)``, for a real model or a cached one, without importing
    ``module`` for a cached one."""
    if isinstance(value, CachedModel):
        return value._place == f"{module}:{name}"
    loaded = sys.modules.get(module)  # a real model of that module: the module is imported
    return loaded is not None and isinstance(value, getattr(loaded, name))
