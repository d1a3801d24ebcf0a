"""Snapshots of the main screens on the seeded store, at 80×24 and larger.

After a deliberate change of the look, review the new SVGs (``pytest tests/tui --snapshot-update``
writes them under ``__snapshots__/``) before committing them.
"""

from __future__ import annotations

from tuikit import make_app, settle


async def _settled(pilot) -> None:
    await pilot.pause(0.1)
    await settle(pilot)
    pilot.app.clear_notifications()
    await pilot.pause()


def test_browse_80x24(db, snap_compare):
    assert snap_compare(make_app(db), terminal_size=(80, 24), run_before=_settled)


def test_browse_wide_with_preview(db, snap_compare):
    assert snap_compare(make_app(db), press=["j"], terminal_size=(140, 40), run_before=_settled)


def test_session_80x24(db, snap_compare):
    assert snap_compare(make_app(db), press=["enter"], terminal_size=(80, 24), run_before=_settled)


def test_session_with_a_live_problem(db, delivery, snap_compare):
    d = delivery
    after = len(d.text) - d.text.index(d.phrase) - len(d.phrase)

    async def edit(pilot) -> None:
        await pilot.press(*["j"] * d.row, "enter", *["j"] * d.bubble, "e", "end", *["left"] * after,
                          *["backspace"] * len(d.phrase), *d.new_phrase, "escape")
        await _settled(pilot)

    assert snap_compare(make_app(db), terminal_size=(120, 36), run_before=edit)


def test_filters_80x24(db, snap_compare):
    assert snap_compare(make_app(db), press=["f"], terminal_size=(80, 24), run_before=_settled)


def test_help_80x24(db, snap_compare):
    assert snap_compare(make_app(db), press=["question_mark"], terminal_size=(80, 24), run_before=_settled)


def test_history_after_a_save(db, snap_compare):
    async def save(pilot) -> None:
        await pilot.press("enter", "e", "f7", *"我想换个内存条", "escape", "ctrl+s", "h")
        await _settled(pilot)

    assert snap_compare(make_app(db), terminal_size=(100, 30), run_before=save)
