"""A question with a few answers, each on a key: the key of the answer chosen (None: Escape)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.events import Key
from textual.screen import ModalScreen
from textual.widgets import Button, Static

__all__ = ["ChoiceScreen"]


class ChoiceScreen(ModalScreen[str | None]):
    """``ChoiceScreen("Unsaved edits.", [("s", "Save"), ("d", "Discard")])`` returns "s", "d" or None."""

    CSS_PATH = "modal.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="choice.cancel")]

    def __init__(self, question: str, answers: list[tuple[str, str]]) -> None:
        super().__init__()
        self.question = question
        self.answers = answers

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="question", markup=False)
            with Horizontal(classes="buttons"):
                for key, text in self.answers:
                    shown = "esc" if key == "escape" else key
                    yield Button(Content(f"{text} [{shown}]"), id=f"answer-{key}", classes="answer")

    def on_mount(self) -> None:
        self.query(Button).first().focus()

    def on_key(self, event: Key) -> None:
        for key, _ in self.answers:
            if event.key == key and key != "escape":
                event.stop()
                self.dismiss(key)

    @on(Button.Pressed, ".answer")
    def _pressed(self, event: Button.Pressed) -> None:
        key = (event.button.id or "").removeprefix("answer-")
        self.dismiss(None if key == "escape" else key)

    def action_cancel(self) -> None:
        self.dismiss(None)
