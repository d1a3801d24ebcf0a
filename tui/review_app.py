"""A small app around :class:`ParaphraseReviewScreen`, launched by ``twinchat paraphrase --review``.

:func:`run_review` is the ``review`` callback of
:func:`twinchat.composer.paraphrase.rewrite.paraphrase_unit`: it shows the candidates that passed the
checks and returns ``{candidate name: final text}`` of those the curator accepted (None when the
curator quit without writing).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual.app import App

from twinchat.tui.screens.paraphrase_review import Check, ParaphraseReviewScreen, ReviewItem

__all__ = ["ReviewApp", "review_items", "checker", "run_review"]


class ReviewApp(App["dict[str, str] | None"]):
    """Shows the review screen; exits with what it was dismissed with."""

    TITLE = "twinchat — review paraphrases"

    def __init__(self, unit_id: str, items: list[ReviewItem], check: Check) -> None:
        super().__init__()
        self.unit_id = unit_id
        self.items = items
        self.check = check

    def on_mount(self) -> None:
        self.push_screen(ParaphraseReviewScreen(self.unit_id, self.items, self.check), callback=self.exit)


def review_items(paraphraser: Any, candidates: Sequence[Any]) -> list[ReviewItem]:
    """Review items for the :class:`~twinchat.composer.paraphrase.rewrite.Candidate` s that passed."""
    return [ReviewItem(name=c.name, original_id=c.original, original_text=paraphraser.template(c.original).text,
                       text=c.text, code=c.code, reason=c.reason, previews=list(c.previews)) for c in candidates]


def checker(paraphraser: Any) -> Check:
    """The screen's check function, backed by a :class:`~twinchat.composer.paraphrase.rewrite.Paraphraser`."""
    def check(original_id: str, text: str, others: Sequence[tuple[str, str]]
              ) -> tuple[str | None, str | None, list[str]]:
        return paraphraser.check(paraphraser.template(original_id), text, others)
    return check


def run_review(paraphraser: Any, candidates: Sequence[Any]) -> dict[str, str] | None:
    """Run the review app in the terminal; the accepted {name: text}, or None to write nothing."""
    app = ReviewApp(paraphraser.unit.id, review_items(paraphraser, candidates), checker(paraphraser))
    return app.run()
