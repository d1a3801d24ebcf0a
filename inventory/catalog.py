"""The product catalog, the device models customers own, and which part fits which device.

Built from the tables in ``catalog_data`` with the catalog's RNG: the seed decides which
variants a shop carries and at what price, never the product ids — a product keeps its id
(``MEM017``) in every world, so tests and unit files can name it.

Compatibility is computed from specs, the way a shop's compatibility checker does it:

* memory fits a laptop whose memory is socketed (slots > 0), of the same generation (DDR4/DDR5),
  as a SODIMM, with a module no larger than the laptop's maximum; a faster module runs at the
  laptop's top speed (noted);
* an NVMe SSD fits a laptop with an M.2 slot (a PCIe 4.0 drive in a 3.0 slot runs slower, noted);
  a 2.5-inch SATA SSD needs a SATA bay;
* a charger charges a phone over a protocol both speak (``full_speed`` when it is the phone's own
  fast protocol at its full wattage), and a laptop over USB-C PD at no less than its minimum wattage.
"""

from __future__ import annotations

import json
import random
import re
from typing import TYPE_CHECKING, Any


from twinchat.inventory import catalog_data as data
from twinchat.inventory.seeds import area_rng

if TYPE_CHECKING:  # sqlite-utils imports pandas when it is installed: only building needs it
    import sqlite_utils

__all__ = ["populate", "write_catalog", "builtin_categories", "feature_key", "device_key", "compatibility"]

_KEY_DROP = re.compile(r"[\s\-_·.()（）]+")


def device_key(text: str) -> str:
    """The key a device name is matched by: case, spaces and dashes do not matter."""
    return _KEY_DROP.sub("", text.strip().lower())


def feature_key(text: str) -> str:
    """The key a feature is matched by: '16GB' ≈ '16g' ≈ '16 G'; '5600MHz' ≈ '5600'.

    Upper case, spaces dropped, full-width brackets made ASCII, and units shortened (GB → G,
    TB → T, MHz dropped), so a feature a customer asks for finds the product feature it names."""
    key = text.strip().upper().replace(" ", "").replace("（", "(").replace("）", ")")
    for long, short in (("MHZ", ""), ("GB", "G"), ("TB", "T"), ("KW", "KW")):
        key = key.replace(long, short)
    return key


def _price(rng: random.Random, base: float) -> float:
    """A shop price: jittered ±8% and ending in 9 (299, 1299, 4599)."""
    raw = base * rng.uniform(0.92, 1.08)
    step = 10 if raw < 1000 else 100
    return float(max(step, round(raw / step) * step) - 1)


def _keep(rng: random.Random, share: float = 0.85) -> bool:
    return rng.random() < share


def _memory(rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    index = 0
    for brand, brand_en, series, form, ddr, freqs, caps, code, base in data.MEMORY_LINES:
        for mhz in freqs:
            for gb in caps:
                index += 1
                if not _keep(rng):
                    continue
                cl = 40 if ddr == "DDR5" else 22
                model = code.format(mhz=mhz, mhz2=str(mhz)[:2], gb=gb, cl=cl)
                use = "笔记本" if form == "SODIMM" else "台式机"
                price = _price(rng, base * (gb / 16) ** 0.92 * (1 + (mhz - freqs[0]) / 20000))
                rows.append(
                    {
                        "id": f"MEM{index:03d}",
                        "category": "memory",
                        "brand": brand,
                        "series": series,
                        "model": model,
                        "name": f"{brand}({brand_en}) {series} {ddr} {mhz} {gb}GB {use}内存条",
                        "short_name": f"{brand}{series if series != '笔记本内存' else ''} {ddr} {mhz} {gb}G",
                        "price": price,
                        "specs": {"ddr": ddr, "form": form, "capacity_gb": gb, "mhz": mhz},
                        "features": [ddr, f"{mhz}MHz", f"{gb}GB", use, f"{use}内存", brand],
                        "description": f"{ddr} {mhz}MHz {gb}GB {use}内存条,{form}接口,{brand}原厂颗粒,终身保固。",
                        "device_model": None,
                    }
                )
    return rows


def _ssd(rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    index = 0
    for brand, brand_en, series, iface, gen, caps, read, code, base in data.SSD_LINES:
        for gb in caps:
            index += 1
            if not _keep(rng):
                continue
            size = f"{gb // 1000}TB" if gb >= 1000 else f"{gb}GB"
            model = code.format(gb=gb, tb=gb // 1000 if gb >= 1000 else gb)
            if iface == "NVMe":
                form_text, feats = f"M.2 NVMe PCIe{gen}.0", ["NVMe", "M.2", f"PCIe{gen}.0", "M.2接口"]
            else:
                form_text, feats = "2.5英寸 SATA3.0", ["SATA", "2.5英寸"]
            rows.append(
                {
                    "id": f"SSD{index:03d}",
                    "category": "ssd",
                    "brand": brand,
                    "series": series,
                    "model": model,
                    "name": f"{brand}({brand_en}) {series} {size} {form_text} 固态硬盘",
                    "short_name": f"{brand}{series} {size}",
                    "price": _price(rng, base * (gb / 1000) ** 0.85),
                    "specs": {"interface": iface, "pcie_gen": gen, "capacity_gb": gb, "read_mbps": read},
                    "features": [*feats, size, f"读速{read}MB/s", brand],
                    "description": f"{form_text}固态硬盘,顺序读取最高{read}MB/s,{size}容量,五年质保。",
                    "device_model": None,
                }
            )
    return rows


def _chargers(rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    index = 0
    for brand, brand_en, series, watts, ports, protocols, gan in data.CHARGER_LINES:
        for w in watts:
            for port in ports:
                index += 1
                if not _keep(rng, 0.75):
                    continue
                proto_names = [data.PROTOCOL_NAMES[p] for p in protocols]
                gan_text = "氮化镓" if gan else ""
                rows.append(
                    {
                        "id": f"CHG{index:03d}",
                        "category": "charger",
                        "brand": brand,
                        "series": series,
                        "model": f"{brand_en[:2].upper()}-{w}W-{port}",
                        "name": f"{brand}({brand_en}) {series} {w}W {gan_text}充电器 {port} {'/'.join(proto_names[:2])}",
                        "short_name": f"{brand}{w}W{gan_text}充电器",
                        "price": _price(rng, 39 + w * 1.6 + (40 if gan else 0)),
                        "specs": {"watts": w, "ports": port, "protocols": list(protocols), "gan": gan},
                        "features": [f"{w}W", port, *proto_names, *([gan_text] if gan else []), brand],
                        "description": f"{w}W {port}快充充电器,支持{'、'.join(proto_names)}。",
                        "device_model": None,
                    }
                )
    return rows


def _piles(rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    index = 0
    for brand, brand_en, series, powers, features in data.PILE_LINES:
        for kw in powers:
            index += 1
            volts = "220V" if kw == 7 else "380V"
            rows.append(
                {
                    "id": f"PILE{index:03d}",
                    "category": "charging_pile",
                    "brand": brand,
                    "series": series,
                    "model": f"{brand_en[:3].upper()}-AC{kw}K",
                    "name": f"{brand}({brand_en}) {kw}kW {series} {volts} 国标交流 送5米枪线",
                    "short_name": f"{brand}{kw}kW充电桩",
                    "price": _price(rng, 1299 + kw * 90),
                    "specs": {"kw": kw, "volts": volts, "standard": "GB/T"},
                    "features": [f"{kw}kW", volts, "国标", *features, brand],
                    "description": f"{kw}kW {volts}家用交流充电桩,适配国标接口新能源车,{'、'.join(features)}。",
                    "device_model": None,
                }
            )
    return rows


def _devices() -> tuple[list[dict[str, Any]], list[tuple[str, tuple, tuple]]]:
    """Device models (laptops and phones) and, per model, its configurations for sale."""
    models, configs = [], []
    for (mid, brand, series, model, aliases, mem, slots, max_gb, max_mhz, m2, gen, sata, pd, min_w,
         cfgs) in data.LAPTOP_MODELS:
        specs = {
            "memory": {"type": mem, "slots": slots, "max_gb": max_gb, "max_mhz": max_mhz},
            "ssd": {"m2_slots": m2, "pcie_gen": gen, "sata_bay": sata},
            "charging": {"usb_c_pd": pd, "min_watts": min_w},
        }
        models.append(_device_row(f"DEV-{mid}", "laptop", brand, series, model, aliases, specs))
        configs.append((f"DEV-{mid}", ("laptop", brand, series, model), cfgs))
    for mid, brand, series, model, aliases, fast, max_w, pd, cfgs in data.PHONE_MODELS:
        specs = {"charging": {"fast_protocol": fast, "max_watts": max_w, "pd": pd}}
        models.append(_device_row(f"DEV-{mid}", "phone", brand, series, model, aliases, specs))
        configs.append((f"DEV-{mid}", ("phone", brand, series, model), cfgs))
    return models, configs


def _join(series: str, model: str) -> str:
    """'ThinkPad' + 'T14' → 'ThinkPad T14'; '天选' + '5 Pro' → '天选5 Pro'; '联想' + '小新' → '联想小新'."""
    if series[-1].isascii() and series[-1].isalnum() and model[0].isascii():
        return f"{series} {model}"
    return f"{series}{model}"


def _device_row(did: str, kind: str, brand: str, series: str, model: str, aliases: tuple, specs: dict
                ) -> dict[str, Any]:
    name = _join(brand, _join(series, model)) if series != brand else _join(brand, model)
    return {"id": did, "kind": kind, "brand": brand, "series": series, "model": model, "name": name,
            "aliases": json.dumps(list(aliases), ensure_ascii=False),
            "specs": json.dumps(specs, ensure_ascii=False, sort_keys=True)}


def _device_products(rng: random.Random, models: list[dict], configs: list) -> list[dict[str, Any]]:
    rows = []
    names = {m["id"]: m["name"] for m in models}
    lap, pho = 0, 0
    for did, (kind, brand, series, model), cfgs in configs:
        for cfg in cfgs:
            if kind == "laptop":
                lap += 1
                cpu, ram, rom, base = cfg
                size = f"{rom // 1000}TB" if rom >= 1000 else f"{rom}GB"
                rows.append({
                    "id": f"LAP{lap:03d}", "category": "laptop", "brand": brand, "series": series,
                    "model": f"{_join(series, model)} {cpu}/{ram}G/{size}",
                    "name": f"{names[did]} 笔记本电脑 {cpu} {ram}G {size}",
                    "short_name": f"{_join(series, model)} {ram}G/{size}", "price": _price(rng, base),
                    "specs": {"cpu": cpu, "ram_gb": ram, "ssd_gb": rom},
                    "features": [cpu, f"{ram}GB", size, "笔记本", brand],
                    "description": f"{names[did]},{cpu}处理器,{ram}GB内存,{size}固态硬盘。",
                    "device_model": did,
                })
            else:
                pho += 1
                ram, rom, colour, base = cfg
                size = f"{rom // 1000}TB" if rom >= 1000 else f"{rom}GB"
                rows.append({
                    "id": f"PHN{pho:03d}", "category": "phone", "brand": brand, "series": series,
                    "model": f"{_join(series, model)} {ram}+{rom}", "name": f"{names[did]} {ram}GB+{size} {colour} 5G手机",
                    "short_name": f"{names[did]} {size}", "price": _price(rng, base),
                    "specs": {"ram_gb": ram, "rom_gb": rom, "colour": colour},
                    "features": [f"{ram}GB", size, colour, "5G", brand],
                    "description": f"{names[did]} 5G手机,{ram}GB运行内存,{size}存储,{colour}。",
                    "device_model": did,
                })
    return rows


def compatibility(part: dict[str, Any], device: dict[str, Any]) -> tuple[bool, bool, str | None]:
    """Whether ``part`` fits ``device`` (rows with ``specs`` as dicts): (fits, full_speed, note)."""
    ps, ds = part["specs"], device["specs"]
    if part["category"] == "memory" and device["kind"] == "laptop":
        mem = ds["memory"]
        if mem["slots"] == 0 or ps["form"] != "SODIMM" or ps["ddr"] != mem["type"]:
            return False, False, None
        if ps["capacity_gb"] > mem["max_gb"]:
            return False, False, None
        if ps["mhz"] > mem["max_mhz"]:
            return True, False, f"将以{mem['max_mhz']}MHz运行"
        return True, True, None
    if part["category"] == "ssd" and device["kind"] == "laptop":
        ssd = ds["ssd"]
        if ps["interface"] == "SATA":
            return (True, True, None) if ssd["sata_bay"] else (False, False, None)
        if ssd["m2_slots"] == 0:
            return False, False, None
        if ps["pcie_gen"] > ssd["pcie_gen"]:
            return True, False, f"在PCIe{ssd['pcie_gen']}.0插槽中降速运行"
        return True, True, None
    if part["category"] == "charger":
        protocols = set(ps["protocols"])
        ch = ds["charging"]
        if device["kind"] == "laptop":
            if not ch["usb_c_pd"] or "PD" not in protocols or "C" not in ps["ports"]:
                return False, False, None
            if ps["watts"] < ch["min_watts"]:
                return False, False, None
            return True, True, None
        own = ch["fast_protocol"] in protocols or (ch["fast_protocol"] == "PPS" and "PPS" in protocols)
        if own:
            full = ps["watts"] >= ch["max_watts"]
            return True, full, None if full else f"最高以{ps['watts']}W快充"
        if ch["pd"] and "PD" in protocols and "C" in ps["ports"]:
            return True, False, "通过PD协议快充,非原厂满速"
        return False, False, None
    return False, False, None


_PRODUCT_COLUMNS = ("id", "category", "brand", "series", "model", "name", "short_name", "price", "specs", "description",
                    "device_model")
#: The measure word of each built-in category (这款内存条, 这台笔记本); others say 款.
_MEASURE_WORDS = {"laptop": "台", "phone": "部", "charging_pile": "台", "charger": "个"}


def populate(db: sqlite_utils.Database, seed: int) -> None:
    """Create and fill ``categories``, ``device_models``, ``products``, ``product_features``, ``compatibility``."""
    rng = area_rng(seed, "catalog")
    models, configs = _devices()
    products = _memory(rng) + _ssd(rng) + _chargers(rng) + _piles(rng) + _device_products(rng, models, configs)
    write_catalog(db, builtin_categories(), products, models)


def builtin_categories() -> list[tuple[str, str, tuple[str, ...], str]]:
    """The built-in shop's categories: (id, Chinese name, aliases, measure word)."""
    return [(cid, name, aliases, _MEASURE_WORDS.get(cid, "款")) for cid, name, aliases in data.CATEGORIES]


def write_catalog(db: sqlite_utils.Database, categories: list[tuple[str, str, tuple[str, ...], str]],
                  products: list[dict[str, Any]], models: list[dict[str, Any]]) -> None:
    """Create and fill the catalog's tables from rows (the built-in shop's, or a catalog file's)."""
    db["categories"].create({"id": str, "name": str, "aliases": str, "measure_word": str}, pk="id")
    db["categories"].insert_all(
        {"id": cid, "name": name, "aliases": json.dumps(list(aliases), ensure_ascii=False), "measure_word": word}
        for cid, name, aliases, word in categories
    )
    db["device_models"].create(
        {"id": str, "kind": str, "brand": str, "series": str, "model": str, "name": str,
         "aliases": str, "specs": str},
        pk="id", not_null={"kind", "name", "specs"},
    )
    db["device_models"].insert_all(models)
    db["products"].create(
        {"id": str, "category": str, "brand": str, "series": str, "model": str, "name": str,
         "short_name": str, "price": float, "specs": str, "description": str, "device_model": str},
        pk="id", not_null={"category", "name", "price"},
        foreign_keys=[("category", "categories", "id"), ("device_model", "device_models", "id")],
    )
    # rows in one statement (sqlite-utils made the table): a catalog of 100,000 products in a second
    db.conn.executemany(
        f"INSERT INTO products ({', '.join(_PRODUCT_COLUMNS)}) VALUES ({', '.join('?' * len(_PRODUCT_COLUMNS))})",
        ((*(p[c] for c in _PRODUCT_COLUMNS[:8]), json.dumps(p["specs"], ensure_ascii=False, sort_keys=True),
          p["description"], p["device_model"]) for p in products))
    db["product_features"].create(
        {"product_id": str, "feature": str, "key": str}, pk=("product_id", "key"),
        foreign_keys=[("product_id", "products", "id")],
    )
    feature_rows: dict[tuple[str, str], dict[str, str]] = {}
    for p in products:
        for f in p["features"]:
            feature_rows.setdefault((p["id"], feature_key(f)),
                                    {"product_id": p["id"], "feature": f, "key": feature_key(f)})
    db.conn.executemany("INSERT INTO product_features (product_id, feature, key) VALUES (?, ?, ?)",
                        ((r["product_id"], r["feature"], r["key"]) for r in feature_rows.values()))
    _compatibility(db, products, models)
    _device_aliases(db, models)
    db["products"].create_index(["category", "price"])
    db.execute("CREATE INDEX idx_products_model ON products (model COLLATE NOCASE)")
    db["product_features"].create_index(["key"])
    db["compatibility"].create_index(["device_model"])


def _compatibility(db: sqlite_utils.Database, products: list[dict[str, Any]], models: list[dict[str, Any]]) -> None:
    """The ``compatibility`` table: which memory, SSD and charger fits which device model."""
    db["compatibility"].create(
        {"part_id": str, "device_model": str, "full_speed": int, "note": str},
        pk=("part_id", "device_model"),
        foreign_keys=[("part_id", "products", "id"), ("device_model", "device_models", "id")],
    )
    devices = [{**m, "specs": json.loads(m["specs"])} for m in models]
    compat = []
    for p in products:
        if p["category"] not in ("memory", "ssd", "charger"):
            continue
        for d in devices:
            fits, full, note = compatibility(p, d)
            if fits:
                compat.append({"part_id": p["id"], "device_model": d["id"], "full_speed": int(full), "note": note})
    db["compatibility"].insert_all(compat)


def _device_aliases(db: sqlite_utils.Database, models: list[dict[str, Any]]) -> None:
    """The ``device_aliases`` table: every name a customer may give a device model, by its key."""
    db["device_aliases"].create({"key": str, "device_model": str}, pk=("key", "device_model"),
                                foreign_keys=[("device_model", "device_models", "id")])
    aliases: dict[tuple[str, str], dict[str, str]] = {}
    for m in models:
        names = [m["name"], m["model"], f"{m['brand']}{m['model']}", f"{m['series']}{m['model']}",
                 f"{m['brand']}{m['series']}{m['model']}", m["series"], *json.loads(m["aliases"])]
        for n in names:
            if len(device_key(n)) >= 2:
                aliases.setdefault((device_key(n), m["id"]), {"key": device_key(n), "device_model": m["id"]})
    db["device_aliases"].insert_all(sorted(aliases.values(), key=lambda r: (r["key"], r["device_model"])))
