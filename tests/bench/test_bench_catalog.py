"""Benchmark: importing a large catalog from files, and composing on it.

Run with ``pytest tests/bench/test_bench_catalog.py --bench -s``. Prints numbers and ratios; it
never asserts a timing.

* import — a catalog of ``TWINCHAT_BENCH_PRODUCTS`` products (default 100,000) in 40 categories
  and ten stock rows per product (1,000,000 by default) in the built-in warehouses, written as CSV;
  ``build_world`` reads and checks the files and builds the whole world from them (target: < 30 s).
  Reading and checking the files is printed apart.
* compose — the starter project's flow (``twinchat new``) composed, verified and stored
  (``TWINCHAT_BENCH_N`` sessions, default 20,000, one worker) on the starter's own 11 products
  (the baseline, in this process) and on the large catalog, both stocked in the same ten built-in
  warehouses, the large catalog's products of the starter's categories being variants of the
  starter's own (their texts, a model tagged with letters): the two differ in size alone. The
  two take turns, ``TWINCHAT_BENCH_ROUNDS`` runs each (default 3), each on a fresh copy of its
  world; each run is printed whole, after its first committed batch, and that start-up apart
  (opening and checking the world, copying it into memory, the first batch: it grows with the
  file). Then the built-in shopping flow on the built-in shop, for reference.
* steady — sessions composed and verified per second once each composer is loaded, the two
  catalogs' composers taking turns (five rounds of 5,000 sessions each; best and median), so
  that the load of a shared machine falls on both alike.

Rates are in CPU time (the machine may be shared). The ratio the catalog's promise is about —
composing on 100,000 products within 10% of the starter's speed — is printed for the whole
run, after start-up and steady, best and median.
"""

from __future__ import annotations

import csv
import gc
import os
import shutil
import time
from importlib import resources
from pathlib import Path

import pytest

from twinchat.composer.store.batches import compose_run
from twinchat.inventory import build_world
from twinchat.inventory.build import read_shop
from twinchat.inventory.catalog_files import CatalogFiles

PRODUCTS = int(os.environ.get("TWINCHAT_BENCH_PRODUCTS", "100000"))
N = int(os.environ.get("TWINCHAT_BENCH_N", "20000"))
ROUNDS = int(os.environ.get("TWINCHAT_BENCH_ROUNDS", "3"))


def _warehouses() -> list[str]:
    """Ten of the built-in warehouses (the built-in shop's warehouses file)."""
    return [w[0] for w in read_shop().warehouses[:10]]


def _starter(root: Path) -> Path:
    """The starter project's files under ``root``."""
    from twinchat.composer.cli.project_commands import STARTER_FILES

    starter = resources.files("twinchat.composer.project").joinpath("starter")
    for name in STARTER_FILES:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(starter.joinpath(name).read_text(encoding="utf-8"), encoding="utf-8")
    return root


def _starter_products(starter: Path) -> dict[str, list[dict[str, str]]]:
    """The starter's products per category, as its ``products.csv`` has them."""
    found: dict[str, list[dict[str, str]]] = {}
    with starter.joinpath("catalog", "products.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            found.setdefault(row["category"], []).append(row)
    return found


def _tag(i: int) -> str:
    """Four capital letters, one set per product number: a variant's model stays unique with no
    more digits in a larger catalog (texts with longer numbers cost the time-phrase and reply-fact
    scans more, whatever the catalog's size)."""
    return "".join(chr(65 + (i // 26**k) % 26) for k in range(4))


def _product_row(i: int, category: str, bases: list[dict[str, str]]) -> list[object]:
    """Product ``i``: in one of the starter's categories, a variant of one of its products there
    (its texts, the model tagged); in another category, a generated one."""
    pid = f"P{i:06d}"
    if not bases:
        return [pid, category, f"品牌{i % 97:02d}", f"M{_tag(i)}", f"品牌{i % 97:02d} 型号M{_tag(i)} 商品",
                f"品牌{i % 97:02d}M{_tag(i)}", 99 + i % 5000, f"特性{i % 13}|规格{i % 7}"]
    base = bases[(i // 40) % len(bases)]
    model = f"{base['model']}{_tag(i)}"
    return [pid, category, base["brand"], model, base["name"].replace(base["model"], model), base["short_name"],
            int(base["price"]) + i % 50, base["features"]]


def _large_catalog(root: Path, starter: Path) -> CatalogFiles:
    """The starter's categories plus 37 more, ``PRODUCTS`` products, ten stock rows each. A product
    of the starter's categories is a variant of one of the starter's products there (its name and
    short name, its model tagged): the flow's product texts are then of the same kind on both
    catalogs, which differ in size alone."""
    categories = root / "categories.csv"
    lines = starter.joinpath("catalog", "categories.csv").read_text(encoding="utf-8").splitlines()
    extra = [f"cat{k:02d},品类{k:02d},品类{k:02d},款" for k in range(37)]
    categories.write_text("\n".join(lines + extra) + "\n", encoding="utf-8")
    ids = ["coffee_machine", "grinder", "beans"] + [f"cat{k:02d}" for k in range(37)]
    bases = _starter_products(starter)
    warehouses = _warehouses()
    with (root / "products.csv").open("w", encoding="utf-8", newline="") as pf, \
            (root / "stock.csv").open("w", encoding="utf-8", newline="") as sf:
        products, stock = csv.writer(pf), csv.writer(sf)
        products.writerow(["id", "category", "brand", "model", "name", "short_name", "price", "features"])
        stock.writerow(["product", "warehouse", "qty"])
        for i in range(PRODUCTS):
            category = ids[i % len(ids)]
            products.writerow(_product_row(i, category, bases.get(category, [])))
            stock.writerows([f"P{i:06d}", w, (i * 7 + k) % 40] for k, w in enumerate(warehouses))
    return CatalogFiles(root / "products.csv", root / "stock.csv", categories)


def _small_catalog(root: Path, starter: Path) -> CatalogFiles:
    """The starter's categories and 11 products, stocked like the large catalog (ten stock rows each
    in the built-in warehouses): the two differ only in size, not in warehouses and delivery lanes."""
    root.mkdir(parents=True, exist_ok=True)
    catalog = starter / "catalog"
    warehouses = _warehouses()
    with (catalog / "products.csv").open(encoding="utf-8") as fh:
        ids = [row["id"] for row in csv.DictReader(fh)]
    with (root / "stock.csv").open("w", encoding="utf-8", newline="") as sf:
        stock = csv.writer(sf)
        stock.writerow(["product", "warehouse", "qty"])
        for i, pid in enumerate(ids):
            stock.writerows([pid, w, (i * 7 + k) % 40] for k, w in enumerate(warehouses))
    return CatalogFiles(catalog / "products.csv", root / "stock.csv", catalog / "categories.csv")


def _rate(db: Path, **kwargs) -> tuple[float, float, float]:
    """(sessions per CPU second over the whole run, after the first committed batch, and the CPU
    seconds to that batch: start-up, which grows with the catalog) of one compose run."""
    first: list[tuple[float, int]] = []

    def progress(done: int, total: int) -> None:
        if done and not first:
            first.append((time.process_time(), done))

    started = time.process_time()
    report = compose_run(db, n=N, seed=0, workers=1, progress=progress, **kwargs)
    ended = time.process_time()
    assert report.composed == N
    at, done = first[0]
    return N / (ended - started), (N - done) / (ended - at), at - started


def _best_median(found: list[float], low: bool = False) -> tuple[float, float]:
    """The best (the highest rate, or the lowest time with ``low``) and the median of ``found``."""
    ordered = sorted(found)
    return ordered[0] if low else ordered[-1], ordered[len(ordered) // 2]


def _runs(worlds: dict[str, Path], scratch: Path, dirs: tuple[str, ...]) -> None:
    """Whole compose runs on each world, taking turns ``ROUNDS`` times, each on a fresh copy."""
    runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in worlds}
    for _ in range(ROUNDS):
        for name, db in worlds.items():
            shutil.copy(db, scratch)
            runs[name].append(_rate(scratch, flow="coffee_shopping", units_dirs=dirs))
    print(f"compose coffee_shopping, {N:,} sessions composed, verified and stored, 1 worker, {ROUNDS} runs "
          "each, taking turns (CPU time; best / median):")
    for name, found in runs.items():
        whole, after, start = (_best_median([r[k] for r in found], low=k == 2) for k in range(3))
        print(f"  {name:>16}: whole run {whole[0]:,.0f}/s / {whole[1]:,.0f}/s, after start-up "
              f"{after[0]:,.0f}/s / {after[1]:,.0f}/s, start-up {start[0]:.2f}s / {start[1]:.2f}s")
    small, large = runs.values()
    for k, what in ((0, "whole run"), (1, "after start-up")):
        best = _best_median([r[k] for r in large])[0] / _best_median([r[k] for r in small])[0]
        median = _best_median([r[k] for r in large])[1] / _best_median([r[k] for r in small])[1]
        print(f"  ratio large/starter, {what}: best {best:.2f}, median {median:.2f}")


def _steady(small: Path, big: Path, dirs: tuple[str, ...]) -> None:
    """Sessions composed and verified per CPU second once each composer is loaded, the two taking
    turns: five rounds of 5,000 sessions (the large catalog's products read as sessions first
    name them, as in a run)."""
    from twinchat.composer.store.snapshot import snapshot_composer

    composers = {"starter": snapshot_composer(small, 0, dirs), "large": snapshot_composer(big, 0, dirs)}
    for c in composers.values():
        for i in range(300):  # templates compiled
            c.verify(c.compose("coffee_shopping", i))
    rates: dict[str, list[float]] = {name: [] for name in composers}
    for r in range(5):
        for name, c in composers.items():
            started = time.process_time()
            for i in range(1000 + 5000 * r, 6000 + 5000 * r):
                c.verify(c.compose("coffee_shopping", i))
            rates[name].append(5000 / (time.process_time() - started))
    print("steady, composed and verified (CPU time; best / median of five rounds of 5,000):")
    for name, found in rates.items():
        best, median = _best_median(found)
        print(f"  {name:>16}: {best:,.0f}/s / {median:,.0f}/s")
    (sb, sm), (lb, lm) = _best_median(rates["starter"]), _best_median(rates["large"])
    print(f"  ratio large/starter, steady: best {lb / sb:.2f}, median {lm / sm:.2f}")


@pytest.mark.bench
def test_bench_catalog_import_and_compose(tmp_path):
    import twinchat.composer.engine.compose  # noqa: F401 - imported before timing

    project = _starter(tmp_path / "shop")
    files = _large_catalog(tmp_path, project)
    started = time.perf_counter()
    shop = read_shop(files)
    read = time.perf_counter() - started
    started = time.perf_counter()
    big = build_world(tmp_path / "big.db", 0, catalog_files=files)
    built = time.perf_counter() - started
    print(f"\nimport: {len(shop.products):,} products, {len(shop.stock):,} stock rows: read and checked in "
          f"{read:.1f}s; whole world built in {built:.1f}s (target < 30 s)")
    del shop  # a compose run is its own process: it holds no imported rows for the collector to walk
    gc.collect()
    small = build_world(tmp_path / "small.db", 0, catalog_files=_small_catalog(tmp_path / "small", project))
    dirs = (str(project / "units"), str(project / "flows"))
    _runs({"starter's 11": small, f"{PRODUCTS:,}": big}, tmp_path / "run.db", dirs)
    _steady(small, big, dirs)
    builtin = build_world(tmp_path / "builtin.db", 0)
    shutil.copy(builtin, tmp_path / "b.db")
    ref = _rate(tmp_path / "b.db", flow="memory_upgrade")
    print(f"for reference, memory_upgrade on the built-in shop: {ref[0]:,.0f}/s / {ref[1]:,.0f}/s / {ref[2]:.1f}s")
