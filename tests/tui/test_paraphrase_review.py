"""The paraphrase review screen (Pilot): accept, reject, edit with live re-checks and previews, write or quit.

The candidates are checked by a real :class:`Paraphraser` over the test unit and the seed-0 world.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.widgets import OptionList, Static, TextArea

from twinchat.composer.paraphrase.rewrite import Candidate, Paraphraser
from twinchat.tui.review_app import ReviewApp, checker, review_items
from twinchat.tui.screens.paraphrase_review import ParaphraseReviewScreen
from twinchat.units.loader import load_units

UNITS = Path(__file__).parents[1] / "composer" / "paraphrase"
GOOD1 = "{{ when }}麻烦打{{ phone }}转{{ ext }}回我电话,我是{{ person }}"
GOOD2 = "{{ person }}:{{ when }}打{{ phone }},转{{ ext }}"
GOOD3 = "您好,{{ person }}这边,{{ when }}请拨{{ phone }}再转{{ ext }}"


@pytest.fixture()
def para(world):
    return Paraphraser(load_units([UNITS], builtins=False)["callback"], world, samples=4)


def make_app(para, texts=(GOOD1, GOOD2, GOOD3)):
    cands = []
    for number, text in enumerate(texts, 1):
        cand = Candidate(original="c01", number=number, text=text)
        cand.code, cand.reason, cand.previews = para.check(para.template("c01"), text)
        cands.append(cand)
    return ReviewApp("callback", review_items(para, cands), checker(para))


def drive(app, steps):
    """Run ``steps(pilot, screen)`` inside the app; return what the app exited with."""
    async def main():
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, ParaphraseReviewScreen)
            await steps(pilot, screen)
            await pilot.pause()
        return app.return_value
    return asyncio.run(main())


def text_of(screen, selector):
    return str(screen.query_one(selector, Static).render())


def test_accept_reject_and_write(para):
    async def steps(pilot, screen):
        assert "passes every check" in text_of(screen, "#verdict")
        assert text_of(screen, "#original") == "original c01: 我是{{ person }},请{{ when }}打{{ phone }}转{{ ext }}找我"
        await pilot.press("a")                    # accept #1, move to #2
        assert screen.current == 1
        await pilot.press("r")                    # reject #2, move to #3
        await pilot.press("a")
        options = screen.query_one("#candidates", OptionList)
        assert [str(options.get_option_at_index(i).prompt).split()[0] for i in range(3)] == ["✓", "✗", "✓"]
        await pilot.press("w")

    assert drive(make_app(para), steps) == {"c01#1": GOOD1, "c01#3": GOOD3}


def test_quit_writes_nothing(para):
    async def steps(pilot, screen):
        await pilot.press("a", "q")

    assert drive(make_app(para), steps) is None


def test_editing_rechecks_and_previews_live(para):
    async def steps(pilot, screen):
        editor = screen.query_one("#editor", TextArea)
        assert editor.read_only
        await pilot.press("e")
        assert not editor.read_only and editor.has_focus and screen.has_class("-editing")
        editor.move_cursor(editor.document.end)
        for _ in range(len("{{ person }}")):
            await pilot.press("backspace")        # drop the name placeholder
        await pilot.pause()
        verdict = screen.query_one("#verdict", Static)
        assert text_of(screen, "#verdict") == "[pending] lost: drops {{ person }}" and verdict.has_class("-bad")
        await pilot.press("escape", "a")          # cannot be accepted as it is
        assert screen.items[0].status == "pending"
        await pilot.press("e")
        await pilot.press(*"ok")                  # still no person: the preview shows the live text
        await pilot.pause()
        assert screen.items[0].text.endswith("我是ok")
        editor.insert("{{ person }}")
        await pilot.pause()
        assert "passes every check" in text_of(screen, "#verdict") and verdict.has_class("-ok")
        preview = text_of(screen, "#preview")
        first = para.baseline("c01")[0]
        assert f"• {para.cache.render(GOOD1[:-len('{{ person }}')] + 'ok{{ person }}', first.slots)}" in preview
        await pilot.press("escape", "a", "w")

    edited = GOOD1[:-len("{{ person }}")] + "ok{{ person }}"
    assert drive(make_app(para), steps) == {"c01#1": edited}


def test_an_edit_that_duplicates_an_accepted_candidate_is_refused(para):
    async def steps(pilot, screen):
        await pilot.press("a")                    # accept #1; #2 is highlighted
        screen.query_one("#editor", TextArea).text = GOOD1 + "啊"
        await pilot.press("a")
        assert screen.items[1].status == "pending"
        assert screen.items[1].code == "near_duplicate"
        assert text_of(screen, "#verdict") == ("[pending] near_duplicate: is a near-duplicate of candidate c01#1 "
                                               "(similarity 0.97, threshold 0.90)")
        await pilot.press("w")

    assert drive(make_app(para), steps) == {"c01#1": GOOD1}


def test_bindings_are_shown_in_the_footer(para):
    async def steps(pilot, screen):
        shown = {b.binding.key: b.binding.description for b in screen.active_bindings.values() if b.binding.show}
        assert shown == {"a": "Accept", "r": "Reject", "e": "Edit", "escape": "Done editing",
                         "w": "Write accepted", "q": "Quit, write nothing"}
        await pilot.press("q")

    drive(make_app(para), steps)
