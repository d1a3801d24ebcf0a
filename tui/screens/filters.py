"""Choose the filters of the list: flow, unit, outcome, verification status, template."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Select

from twinchat.composer.store.curate import Filters

__all__ = ["FilterScreen", "FIELDS"]

#: The filters offered, in order: (field, label).
FIELDS = (("flow", "Flow"), ("unit", "Unit"), ("outcome", "Outcome"), ("status", "Status"),
          ("template", "Template"))


class FilterScreen(ModalScreen[Filters | None]):
    """Returns the filters chosen (the text search is kept by the caller), or None."""

    CSS_PATH = "modal.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="filters.cancel"),
        Binding("ctrl+a", "apply", "Apply", id="filters.apply"),
    ]

    def __init__(self, current: Filters, options: dict[str, list[str]]) -> None:
        super().__init__()
        self.current = current
        self.options = options

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="filters"):
            yield Label("Filter sessions", classes="question")
            for name, title in FIELDS:
                with Horizontal(classes="field -compact"):
                    yield Label(title, classes="name -compact")
                    value = getattr(self.current, name)
                    choices = self.options.get(name, [])
                    yield Select([(v, v) for v in choices], prompt=f"any {name}", id=f"filter-{name}", compact=True,
                                 value=value if value in choices else Select.NULL)
            with Horizontal(classes="buttons"):
                yield Button(Content("Apply [^a]"), id="apply", variant="primary")
                yield Button("Clear", id="clear")
                yield Button(Content("Cancel [esc]"), id="cancel")

    def chosen(self) -> Filters:
        values = {}
        for name, _ in FIELDS:
            value = self.query_one(f"#filter-{name}", Select).value
            values[name] = None if value is Select.NULL else str(value)
        return Filters(**values)

    @on(Button.Pressed, "#apply")
    def action_apply(self) -> None:
        self.dismiss(self.chosen())

    @on(Button.Pressed, "#clear")
    def _clear(self) -> None:
        self.dismiss(Filters())

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
