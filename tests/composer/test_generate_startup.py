"""What a generate run loads: only what its unit uses (start-up is a large part of a short run)."""

import shutil
import subprocess
import sys

from twinchat.composer.engine.orderbook import ORDER_FORMS
from twinchat.composer.engine.sources import slot_source
from twinchat.units.spec import InventorySlot

#: loaded only by a unit with an order slot (the order book), or with noise (the noise layer)
_ORDERS = {"twinchat.composer.engine.orderbook", "twinchat.inventory.orders"}
_NOISE = {"twinchat.composer.engine.noise", "twinchat.composer.engine.noise_data"}


def _modules_after_generate(db: str, out: str, *args: str) -> set[str]:
    """The modules loaded by ``twinchat generate ARGS -n 3`` on ``db``, in a fresh interpreter."""
    probe = (
        "import sys\n"
        "from twinchat.composer.cli import cli\n"
        f"args = ['generate', *{list(args)!r}, '-n', '3', '--db', {db!r}, '-o', {out!r}]\n"
        "try:\n    cli(args)\nexcept SystemExit as stop:\n    assert stop.code == 0, stop.code\n"
        "print('MODULES', ' '.join(sorted(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    line = next(x for x in done.stdout.splitlines() if x.startswith("MODULES "))
    return set(line.split()[1:])


def test_a_unit_without_orders_or_noise_generates_without_the_order_book_or_the_noise_layer(world_path, tmp_path):
    db = tmp_path / "world.db"
    shutil.copy(world_path, db)
    loaded = _modules_after_generate(str(db), str(tmp_path / "a.jsonl"), "address_extraction")
    assert "twinchat.composer.engine.generate" in loaded  # the probe saw a real run
    assert not loaded & (_ORDERS | _NOISE)
    assert (tmp_path / "a.jsonl").read_text(encoding="utf-8").count("\n") == 3


def test_an_order_slot_and_noise_load_them_when_the_unit_asks(world_path, tmp_path):
    db = tmp_path / "world.db"
    shutil.copy(world_path, db)
    loaded = _modules_after_generate(str(db), str(tmp_path / "c.jsonl"), "aftersales_cancel", "--noise", "0.5")
    assert loaded >= _ORDERS | _NOISE
    assert (tmp_path / "c.jsonl").read_text(encoding="utf-8").count("\n") == 3


def test_an_order_slot_offers_the_order_books_forms():
    order = InventorySlot(source="inventory", kind="order", forms=["lower", "nickname"])
    assert slot_source(order).forms_of(order) == ORDER_FORMS
    assert slot_source(order).problems(order, "o", {"o"}) == [
        "unknown form 'nickname'; forms: " + ", ".join(ORDER_FORMS)]
