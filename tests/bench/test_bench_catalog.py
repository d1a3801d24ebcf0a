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
  warehouses (so that they differ in size alone: delivery answers loop over the warehouses); then
  the built-in shopping flow on the built-in shop, for reference.
* steady — sessions composed and verified per second once each composer is loaded, the two
  catalogs' composers taking turns (five rounds of 5,000 sessions each; best and median), so
  that the load of a shared machine falls on both alike. Each run is printed whole, after its first committed
  batch, and that start-up apart (loading the world, its stock and catalog: it grows with the catalog).
"""

from __future__ import annotations

import csv
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


def _large_catalog(root: Path, starter: Path) -> CatalogFiles:
    """The starter's categories plus 37 more, ``PRODUCTS`` products, ten stock rows each."""
    categories = root / "categories.csv"
    lines = starter.joinpath("catalog", "categories.csv").read_text(encoding="utf-8").splitlines()
    extra = [f"cat{k:02d},品类{k:02d},品类{k:02d},款" for k in range(37)]
    categories.write_text("\n".join(lines + extra) + "\n", encoding="utf-8")
    ids = ["coffee_machine", "grinder", "beans"] + [f"cat{k:02d}" for k in range(37)]
    warehouses = _warehouses()
    with (root / "products.csv").open("w", encoding="utf-8", newline="") as pf, \
            (root / "stock.csv").open("w", encoding="utf-8", newline="") as sf:
        products, stock = csv.writer(pf), csv.writer(sf)
        products.writerow(["id", "category", "brand", "model", "name", "short_name", "price", "features"])
        stock.writerow(["product", "warehouse", "qty"])
        for i in range(PRODUCTS):
            pid, category = f"P{i:06d}", ids[i % len(ids)]
            products.writerow([pid, category, f"品牌{i % 97}", f"M-{i}", f"品牌{i % 97} 型号M-{i} 商品",
                               f"品牌{i % 97}M-{i}", 99 + i % 5000, f"特性{i % 13}|规格{i % 7}"])
            stock.writerows([pid, w, (i * 7 + k) % 40] for k, w in enumerate(warehouses))
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
    """(sessions per second over the whole run, after the first committed batch, and the seconds to
    that batch: start-up, which grows with the catalog) of one compose run."""
    first: list[tuple[float, int]] = []

    def progress(done: int, total: int) -> None:
        if done and not first:
            first.append((time.perf_counter(), done))

    started = time.perf_counter()
    report = compose_run(db, n=N, seed=0, workers=1, progress=progress, **kwargs)
    ended = time.perf_counter()
    assert report.composed == N
    at, done = first[0]
    return N / (ended - started), (N - done) / (ended - at), at - started


def _steady(small: Path, big: Path, dirs: tuple[str, ...]) -> None:
    from twinchat.composer.store.snapshot import snapshot_composer

    composers = {"starter": snapshot_composer(small, 0, dirs), "large": snapshot_composer(big, 0, dirs)}
    for c in composers.values():
        for i in range(300):  # templates compiled, caches warm
            c.compose("coffee_shopping", i)
    rates: dict[str, list[float]] = {name: [] for name in composers}
    for r in range(5):
        for name, c in composers.items():
            started = time.perf_counter()
            for i in range(1000 + 5000 * r, 6000 + 5000 * r):
                c.compose("coffee_shopping", i)
            rates[name].append(5000 / (time.perf_counter() - started))
    for name, found in rates.items():
        print(f"  steady, {name} catalog: best {max(found):,.0f}/s, median {sorted(found)[2]:,.0f}/s")
    print(f"  steady ratio large/starter: best {max(rates['large']) / max(rates['starter']):.2f}, "
          f"median {sorted(rates['large'])[2] / sorted(rates['starter'])[2]:.2f}")


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
    shutil.copy(big, tmp_path / "big_run.db")
    built = time.perf_counter() - started
    print(f"\nimport: {len(shop.products):,} products, {len(shop.stock):,} stock rows: read and checked in "
          f"{read:.1f}s; whole world built in {built:.1f}s (target < 30 s)")
    small = build_world(tmp_path / "small.db", 0, catalog_files=_small_catalog(tmp_path / "small", project))
    shutil.copy(small, tmp_path / "small_run.db")
    dirs = (str(project / "units"), str(project / "flows"))
    small_run = _rate(tmp_path / "small_run.db", flow="coffee_shopping", units_dirs=dirs)
    big_run = _rate(tmp_path / "big_run.db", flow="coffee_shopping", units_dirs=dirs)
    print(f"compose coffee_shopping, {N:,} sessions, 1 worker (whole run / after start-up / start-up):")
    print(f"  starter's 11 products:          {small_run[0]:,.0f}/s / {small_run[1]:,.0f}/s / {small_run[2]:.1f}s")
    print(f"  {PRODUCTS:,}-product catalog: {big_run[0]:,.0f}/s / {big_run[1]:,.0f}/s / {big_run[2]:.1f}s")
    print(f"  ratio large/starter: whole run {big_run[0] / small_run[0]:.2f}, after start-up "
          f"{big_run[1] / small_run[1]:.2f}")
    _steady(tmp_path / "small.db", tmp_path / "big.db", dirs)
    builtin = build_world(tmp_path / "builtin.db", 0)
    shutil.copy(builtin, tmp_path / "b.db")
    ref = _rate(tmp_path / "b.db", flow="memory_upgrade")
    print(f"for reference, memory_upgrade on the built-in shop: {ref[0]:,.0f}/s / {ref[1]:,.0f}/s / {ref[2]:.1f}s")
