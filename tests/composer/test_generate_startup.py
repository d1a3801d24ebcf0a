"""What a generate run loads: only what its unit uses (start-up is a large part of a short run)."""

from loaded_modules import modules_after

from twinchat.composer.engine.compile_cache import ENV_VAR
from twinchat.composer.engine.orderbook import ORDER_FORMS
from twinchat.composer.engine.sources import slot_source
from twinchat.composer.engine.sources.inventory import FORMS
from twinchat.units.spec import InventorySlot

#: loaded only by a unit with an order slot (the order book), or with noise (the noise layer)
_ORDERS = {"twinchat.composer.engine.orderbook", "twinchat.inventory.orders"}
_NOISE = {"twinchat.composer.engine.noise", "twinchat.composer.engine.noise_data"}


def _modules_after_generate(db, out, *args: str) -> set[str]:
    """The modules loaded by ``twinchat generate ARGS -n 3`` on ``db``, in a fresh interpreter."""
    return modules_after("generate", *args, "-n", "3", "--db", str(db), "-o", str(out))


def test_a_unit_without_orders_or_noise_generates_without_the_order_book_or_the_noise_layer(db, tmp_path):
    loaded = _modules_after_generate(db, tmp_path / "a.jsonl", "address_extraction")
    assert "twinchat.composer.engine.generate" in loaded  # the probe saw a real run
    assert not loaded & (_ORDERS | _NOISE)
    assert (tmp_path / "a.jsonl").read_text(encoding="utf-8").count("\n") == 3


def test_an_order_slot_and_noise_load_them_when_the_unit_asks(db, tmp_path):
    loaded = _modules_after_generate(db, tmp_path / "c.jsonl", "aftersales_cancel", "--noise", "0.5")
    assert loaded >= _ORDERS | _NOISE
    assert (tmp_path / "c.jsonl").read_text(encoding="utf-8").count("\n") == 3


def test_an_order_slot_offers_the_order_books_forms():
    order = InventorySlot(source="inventory", kind="order", forms=["lower", "nickname"])
    assert slot_source(order).forms_of(order) == ORDER_FORMS == FORMS["order"]  # the table is whole
    assert slot_source(order).problems(order, "o", {"o"}) == [
        "unknown form 'nickname'; forms: " + ", ".join(ORDER_FORMS)]


def test_a_run_whose_templates_are_all_in_the_compile_cache_does_not_import_jinja2(db, tmp_path, monkeypatch):
    """Compiled code read from the cache runs without Jinja2: the sandbox is made (and Jinja2
    imported) only for a template the cache does not hold, or one the compiled path leaves to it."""
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "cache"))
    cold = _modules_after_generate(db, tmp_path / "cold.jsonl", "address_extraction")
    warm = _modules_after_generate(db, tmp_path / "warm.jsonl", "address_extraction")
    assert "jinja2" in cold and "twinchat.composer.engine.environment" in cold  # the first run compiled
    assert "twinchat.composer.engine.generate" in warm
    assert not {name for name in warm if name == "jinja2" or name.startswith(("jinja2.", "markupsafe"))}
    assert (tmp_path / "warm.jsonl").read_bytes() == (tmp_path / "cold.jsonl").read_bytes()


def test_a_builtin_unit_generates_without_pydantic_or_the_unit_models(db, tmp_path, monkeypatch):
    """A built-in unit comes from the cache as plain cached models (twinchat.units.cached_models):
    a warm run of one that calls no tool imports neither pydantic nor the spec, nor what only a
    tool's owed writes need (pickle)."""
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "cache"))
    _modules_after_generate(db, tmp_path / "cold.jsonl", "address_extraction")
    warm = _modules_after_generate(db, tmp_path / "warm.jsonl", "address_extraction")
    assert "twinchat.composer.engine.generate" in warm
    assert not {n for n in warm if n.split(".")[0] in {"pydantic", "pydantic_core", "pickle"}}
    assert not warm & {"twinchat.units.spec", "twinchat.units.slot_config"}
    assert (tmp_path / "warm.jsonl").read_bytes() == (tmp_path / "cold.jsonl").read_bytes()
    tool = _modules_after_generate(db, tmp_path / "tool.jsonl", "product_by_stock_and_delivery")
    assert "pydantic" in tool  # a tool's arguments are validated by its pydantic model


def test_package_data_is_read_by_path_without_importlib_resources(db, tmp_path, monkeypatch):
    """The built-in units, their cache and the region table are read from the package's folder:
    importing ``importlib.resources`` (with tempfile, shutil and the compression modules it pulls
    in) would cost every process more than reading them does."""
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "cache"))
    _modules_after_generate(db, tmp_path / "cold.jsonl", "address_extraction")
    warm = _modules_after_generate(db, tmp_path / "warm.jsonl", "address_extraction")
    assert "twinchat.inventory.region_table" in warm  # the probe read the regions
    assert not {n for n in warm if n.startswith("importlib.resources") or n in {"tempfile", "zipfile", "lzma"}}
    assert (tmp_path / "warm.jsonl").read_bytes() == (tmp_path / "cold.jsonl").read_bytes()
