"""What ``twinchat export`` is asked to do, besides the format and the output directory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["ExportOptions"]


@dataclass(frozen=True)
class ExportOptions:
    """The options of an export (the defaults are those of ``twinchat export``)."""

    #: train, valid and test shares, as a sequence or ``"0.9,0.05,0.05"``
    split: str | Sequence[float] = (0.9, 0.05, 0.05)
    #: keep whole templates (and template combinations) out of train
    holdout_templates: bool = False
    #: replace an existing output directory
    force: bool = False
    #: the seed of the split
    seed: int = 0
    #: unit directories loaded besides the built-in units
    units_dirs: Sequence[str] = ()
    #: keep sessions that failed verification (flagged in ``manifest.jsonl``)
    include_failed: bool = False
    #: only sessions of this flow
    flow: str | None = None
    #: only sessions of this verification status (``ok`` or ``failed``)
    status: str | None = None
    #: only sessions ending with this outcome
    outcome: str | None = None
    #: only sessions that play this unit
    unit: str | None = None
    #: only sessions with a user turn of this ``unit:template``
    template: str | None = None
    #: only sessions whose user turns contain this text
    text: str | None = None
    #: exactly these sessions (then no filter may be given)
    ids: Sequence[str] | None = None
    #: a project's personas (``for_flow(flow)`` → ``prompt(now)`` or None): the system prompt per flow
    persona: Any = None
    #: lines the dataset card adds about the project (shop, persona, calendar)
    card_notes: Sequence[str] = ()
    #: a Hugging Face ``tokenizer.json`` (or its folder) to count tokens with; None: an estimate
    tokenizer: str | None = None
    #: keep the flow's thought text next to a tool call (openai; sharegpt never carries it)
    thoughts: bool = True
    #: split files as ``jsonl``, ``parquet`` or ``both``
    file_format: str = "jsonl"
    #: the prefix of the ``dataset_info.json`` entries (``NAME_train``…) and the card's dataset name
    name: str = "twinchat"
    #: the license id in the card's front matter
    license: str = "apache-2.0"

    def filters(self) -> dict[str, Any]:
        """The session filters, as :class:`~twinchat.composer.store.sessions.SessionStore` takes them."""
        return {"flow": self.flow, "status": self.status, "outcome": self.outcome, "unit": self.unit,
                "template": self.template, "text": self.text}

    def chosen(self) -> str:
        """The filters given, as ``flow 'x', unit 'y'`` (empty if none)."""
        return ", ".join(f"{k} {v!r}" for k, v in self.filters().items() if v is not None)
