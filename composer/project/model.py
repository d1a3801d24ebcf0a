"""The project file ``twinchat.yaml``: one place for a shop's world, catalog, content, persona,
calendar, flow mix and export defaults. Every field is optional; paths are relative to the file."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["Project", "WorldConfig", "CatalogConfig", "PersonaConfig", "CalendarConfig", "ExportConfig"]

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WorldConfig(_Strict):
    """The simulated world."""

    #: the database: world and session store (default twinchat.db beside the project file)
    db: str = "twinchat.db"
    #: the seed of the world (prices, stock, orders drawn at build time)
    seed: int = 0


class CatalogConfig(_Strict):
    """A shop's catalog files (CSV or JSON Lines); without them, the built-in shop."""

    #: products: id, category, brand, model, name[, short_name, price, features, series, description, specs]
    products: str
    #: stock: product, warehouse, qty
    stock: str
    #: categories: id, name[, aliases, measure_word] (default: the built-in categories)
    categories: str | None = None
    #: warehouses: id, name, district (name or adcode)[, cutoff] (default: the built-in warehouses)
    warehouses: str | None = None
    #: devices customers own: id, kind, brand, name[, series, model, aliases, specs] (default: none)
    devices: str | None = None
    #: which product fits which device: product, device[, full_speed, note] (needs ``devices``)
    compatibility: str | None = None


class PersonaConfig(_Strict):
    """Who the assistant is: the system prompt, a Jinja2 template rendered in the sandbox."""

    #: the system prompt; may use {{ now }}, {{ shop }}, {{ channel }}
    system_prompt: str | None = None
    #: the sales channel the template may name (e.g. 天猫旗舰店)
    channel: str = ""


class CalendarConfig(_Strict):
    """When sessions happen: a date range, weekday and hour weights, opening hours."""

    #: the first day of session clocks
    start: date
    #: the last day (included)
    end: date
    #: opening time HH:MM (first possible clock)
    opens: str = "07:00"
    #: closing time HH:MM (clocks fall before it)
    closes: str = "23:30"
    #: seven weights, Monday first (default: every day alike)
    weekdays: Annotated[list[float], Field(min_length=7, max_length=7)] | None = None
    #: weight per hour of the day (hours left out weigh 1)
    hours: dict[int, float] = {}

    @field_validator("opens", "closes")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not _HHMM.match(value):
            raise ValueError(f"{value!r} is not a time of day HH:MM")
        return value

    @model_validator(mode="after")
    def _sane(self) -> CalendarConfig:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        if self.closes <= self.opens:
            raise ValueError(f"closes {self.closes} is not after opens {self.opens}")
        weights = [*(self.weekdays or []), *self.hours.values()]
        if any(w < 0 for w in weights):
            raise ValueError("weights must not be negative")
        if any(not 0 <= h <= 23 for h in self.hours):
            raise ValueError("hours are 0 to 23")
        return self


class ExportConfig(_Strict):
    """Defaults of ``twinchat export`` (options given on the command line win)."""

    format: str | None = None
    split: str | None = None
    holdout_templates: bool | None = None
    seed: int | None = None


class Project(_Strict):
    """A ``twinchat.yaml``: everything optional; without one, the built-in shop."""

    #: the shop's name (the system prompt may show it as {{ shop }})
    shop: str = ""
    world: WorldConfig = WorldConfig()
    catalog: CatalogConfig | None = None
    #: directories (or files) of unit files, loaded after the built-ins
    units: list[str] = []
    #: directories (or files) of flow files
    flows: list[str] = []
    #: directories (or files) of tool files
    tools: list[str] = []
    #: the assistant's persona for every flow
    persona: PersonaConfig = PersonaConfig()
    #: a persona per flow id (in place of the project's)
    flow_personas: dict[str, PersonaConfig] = {}
    calendar: CalendarConfig | None = None
    #: flow id -> weight: ``compose -n`` split by weight (default: every flow alike)
    mix: dict[str, Annotated[float, Field(gt=0)]] = {}
    export: ExportConfig = ExportConfig()
