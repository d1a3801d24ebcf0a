"""Derive ``data/regions.tsv`` from its sources (a maintainer script; never imported at run time).

Usage::

    python -m twinchat.inventory.regions_derive CHINA_LOCATION PHONE_LOCATION ADCODES_CSV OUT_TSV

Sources read (exactly these versions; SHA-256 of each file as read):

* ``china_location.txt`` from jionlp 1.5.31 (``jionlp/dictionary/china_location.zip``, unzipped),
  Apache-2.0, https://github.com/dongrixinyu/JioNLP — the tree province / city / county / town /
  village, tab-indented, with 6-digit adcodes and short names.
  ``3428c3283a895f3014823f64bf514610a4b85f6b1ade9a29e73eafcbc6a19bf5``
* ``phone_location.txt`` from the same jionlp 1.5.31 wheel (``phone_location.zip``, unzipped):
  lines ``山东 济南<TAB>0531<TAB>250000`` (province short, city short, area code, postcode with
  its leading zeros dropped), then mobile-prefix lines (ignored).
  ``5324e2b84153f6f38c6ff69eff46c6e43591d2dc0ea218c65c436f093abd86eb``
* ``resources/adcodes.csv`` from cpca 0.5.5, MIT, https://github.com/DQinYuan/chinese_province_city_area_mapper
  — 12-digit adcodes with longitude and latitude.
  ``66948fa1519ba053f22b8c2d05c897c9b19c44cdc3044e464b52f0143ff418fe``

The script prints the SHA-256 of what it read, so a maintainer who feeds it newer sources knows
to update this docstring and ``data/README.md``. The output is deterministic: rows sorted by
adcode (as text), fixed column order, ``\\n`` line ends, UTF-8.

What goes in, and how the irregular parts of the tree are made regular
-----------------------------------------------------------------------
* One row per province, city (prefecture level) and district (county level); towns (街道/镇/乡)
  only as a ``towns`` column of a district: at most :data:`TOWNS_PER_DISTRICT`, in name order,
  街道 only when the district has two or more, else 街道 then 镇 then 乡 (farms, forestry
  centres, development zones and the like are not towns).
* Hong Kong, Macau and Taiwan (81, 82, 71) are left out: they have their own address and
  postcode systems.
* Municipalities (北京/上海/天津/重庆): the source repeats the province as its own city with the
  same adcode; the city row gets the official form ``xx0100`` (110100 …) so adcodes stay unique.
  重庆's 区 and 县 are all children of 500100. Addresses never double the name (the address
  code drops the city name when it equals the province's).
* Placeholder rows are dropped: ``市辖区``, ``省直辖(县级)行政区划``, ``市直辖行政区划``.
* Statistical "function areas" (经济技术开发区, 高新区, 管理区, 示范区 …: adcodes whose fifth
  digit is 7, or names of that kind, such as 天府新区 510156) are not administrative divisions
  and are dropped, as is 460323 中沙群岛的岛礁及其海域 (sea, no addresses).
* County-level units directly under a province (济源, 仙桃, 潜江, 天门, 神农架, the Hainan
  counties, the Xinjiang 兵团 cities) become cities of that province.
* Cities with no county level under them (东莞, 中山, 儋州, 嘉峪关, and every unit of the
  previous point) take their 街道/镇/乡 as the district level, as real addresses do
  (广东省东莞市长安镇…). The source has no codes for towns, so these district rows get
  ``city adcode + 3-digit serial`` (001–099 for 街道, 101–199 for 镇, 201–… for 乡 and others,
  numbered in name order): the form of the statistical town codes, but twinchat's own numbering.
  嘉峪关's 雄关区/长城区/镜铁区, listed among its towns, are kept the same way.
* A city for which the source lists no usable town (six 兵团 cities: 北屯, 双河, 可克达拉, 昆玉,
  胡杨河, 新星) stays a city row without districts: it resolves as a place, but the address
  generator, which draws districts, never lands there.
* Postcode: cities and districts get the city's postcode from phone_location, matched on
  (province short name, city short name); the city's short name is tried as jionlp gives it
  (both forms of ``巴州/巴音郭楞``) and with 市/地区/盟/州 stripped (吉林市 → 吉林,
  海南州 → 海南). A city with no match takes the postcode of the nearest matched city of the same
  province (great-circle distance on cpca's coordinates); the ``postcode_src`` column says which
  (``name`` or ``nearest:<adcode>``; ``city`` for districts). Provinces have none. The
  phone_location entries of county-level places (梅河口, 重庆's 万州/涪陵/黔江) go unused: a
  district takes its city's postcode.
* Coordinates: cpca's for the same adcode; for an adcode cpca lacks (renamed or re-coded since
  cpca's data), cpca's row of the same name (ignoring a trailing 区/县/市) in the same city, else
  in the same province when that is unique; else the parent's.
"""

from __future__ import annotations

import csv
import hashlib
import math
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["main", "derive", "TOWNS_PER_DISTRICT", "COLUMNS"]

USAGE = "usage: python -m twinchat.inventory.regions_derive CHINA_LOCATION PHONE_LOCATION ADCODES_CSV OUT_TSV"
TOWNS_PER_DISTRICT = 6
COLUMNS = ("adcode", "name", "short_name", "level", "parent", "postcode", "lng", "lat", "postcode_src", "towns")

_EXCLUDED_PROVINCES = ("71", "81", "82")
_PLACEHOLDERS = ("市辖区", "省直辖行政区划", "省直辖县级行政区划", "市直辖行政区划", "县直辖行政区划")
_FUNCTION_AREA = re.compile(r"开发区|产业园|工业园|园区|管委会|委员会|示范区|管理区|实验区|食品区|保税区|风景名胜区|聚集区|新城$|海域")
_NOT_ADMINISTRATIVE = {"510102", "510156"}  # 成都高新技术产业开发区, 天府新区 (coded by the source, not by the state)
_TOWN = re.compile(r"(街道|镇|乡|苏木)$")
_TOWN_EXCLUDED = re.compile(r"开发|园区|农场|林场|牧场|管理|兵团|直辖|办事处|监狱|公司|基地|华侨|渔场|原种场|风景区")
_TOWN_RANK = {"街道": 0, "镇": 1, "乡": 2, "苏木": 2, "区": 2}


@dataclass
class _Node:
    adcode: str
    name: str
    short: str
    level: str
    parent: str | None
    towns: list[str] = field(default_factory=list)
    short_alts: list[str] = field(default_factory=list)
    postcode: str = ""
    postcode_src: str = ""
    lng: str = ""
    lat: str = ""


def _read_tree(path: Path) -> Iterator[tuple[int, list[str]]]:
    with path.open(encoding="utf-8", newline="") as f:
        for raw in f:
            line = raw.rstrip("\r\n")
            if not line.strip():
                continue
            depth = len(line) - len(line.lstrip("\t"))
            yield depth, [p.strip() for p in line.strip("\t").split("\t")]


def _is_function_area(adcode: str, name: str) -> bool:
    return adcode[4] == "7" or adcode in _NOT_ADMINISTRATIVE or bool(_FUNCTION_AREA.search(name))


def _town_name(name: str, prefixes: tuple[str, ...]) -> str | None:
    """The name of a usable town (街道/镇/乡), with a repeated city prefix removed; else None."""
    for prefix in prefixes:
        if name.startswith(prefix) and len(name) > len(prefix) + 1:
            name = name[len(prefix):]
    if not _TOWN.search(name) or _TOWN_EXCLUDED.search(name):
        return None
    return name


def _rank(name: str) -> int:
    m = _TOWN.search(name)
    return _TOWN_RANK[m.group(1)] if m else _TOWN_RANK["区"]


def _towns_as_districts(city: _Node, towns: list[str], allow_district_suffix: bool) -> list[_Node]:
    names = []
    for t in towns:
        name = _town_name(t, (city.name,))
        if name is None and allow_district_suffix and t.endswith("区") and not _FUNCTION_AREA.search(t):
            name = t
        if name is not None and name not in names:
            names.append(name)
    out: list[_Node] = []
    serial = {0: 0, 1: 100, 2: 200}
    for name in sorted(names, key=lambda n: (_rank(n), n)):
        rank = _rank(name)
        serial[rank] += 1
        if serial[rank] % 100 == 0:
            raise ValueError(f"{city.adcode} {city.name}: more than 99 towns of one kind")
        stem = re.sub(r"(街道|镇|乡|苏木|区)$", "", name)
        short = stem if len(stem) >= 2 else name
        out.append(_Node(f"{city.adcode}{serial[rank]:03d}", name, short, "district", city.adcode))
    return out


def _pick_towns(towns: list[str], district_name: str) -> list[str]:
    names: list[str] = []
    for t in towns:
        name = _town_name(t, (district_name,))
        if name is not None and name not in names:
            names.append(name)
    names.sort(key=lambda n: (_rank(n), n))
    if sum(1 for n in names if n.endswith("街道")) >= 2:
        names = [n for n in names if n.endswith("街道")]
    return names[:TOWNS_PER_DISTRICT]


class _TreeBuilder:
    """The nodes of china_location's tree, read one line at a time: provinces (depth 0), cities
    (1), districts or county-level units under a province (2), and towns (3), which become a
    district's ``towns`` or, for a city without county level, its districts (see the module doc)."""

    def __init__(self) -> None:
        self.nodes: dict[str, _Node] = {}
        self.province: _Node | None = None
        self.city: _Node | None = None
        self.direct_units = False  # under a 省直辖(县级)行政区划 line: county-level units of the province
        # the node that receives the next town lines, and whether they are its "towns" or its "districts"
        self.target: tuple[_Node, str] | None = None
        # the cities whose towns become their districts: adcode → (city, towns, allow a 区 suffix)
        self.pending: dict[str, tuple[_Node, list[str], bool]] = {}

    def add(self, depth: int, parts: list[str]) -> None:
        """One line of the tree: its depth (tabs) and its fields (name, adcode, short names)."""
        name = parts[0]
        adcode = parts[1] if len(parts) > 1 else ""
        short = parts[2].split("/")[0] if len(parts) > 2 and parts[2] else name
        if depth <= 2:
            self.target = None
        if depth == 0:
            self._province(name, adcode, short)
        elif depth == 1 and self.province is not None:
            self._city(self.province, name, adcode, short, parts)
        elif depth == 2 and self.province is not None:
            self._county(self.province, name, adcode, short)
        elif depth == 3 and self.target is not None:
            node, role = self.target
            if role == "districts":
                self.pending[node.adcode][1].append(name)
            else:
                node.towns.append(name)

    def _province(self, name: str, adcode: str, short: str) -> None:
        self.province, self.city = None, None
        if adcode[:2] in _EXCLUDED_PROVINCES:
            return
        self.province = self.nodes[adcode] = _Node(adcode, name, short, "province", None)

    def _city(self, province: _Node, name: str, adcode: str, short: str, parts: list[str]) -> None:
        self.city = None
        self.direct_units = name.startswith("省直辖")
        if name in _PLACEHOLDERS:
            return
        if adcode == province.adcode:  # a municipality lists itself as its city
            adcode = adcode[:2] + "0100"
        self.city = self.nodes[adcode] = _Node(adcode, name, short, "city", province.adcode,
                                               short_alts=parts[2].split("/") if len(parts) > 2 else [])

    def _county(self, province: _Node, name: str, adcode: str, short: str) -> None:
        city = self.city
        if city is None:
            if not self.direct_units:
                return
            # a county-level unit directly under the province: a city of its own
            unit = self.nodes[adcode] = _Node(adcode, name, short, "city", province.adcode)
            self.pending[adcode] = (unit, [], False)
            self.target = (unit, "districts")
        elif name == "市直辖行政区划":  # a city without county level: its towns are its districts
            self.pending[city.adcode] = (city, [], True)
            self.target = (city, "districts")
        elif name not in _PLACEHOLDERS and adcode and not _is_function_area(adcode, name):
            district = self.nodes[adcode] = _Node(adcode, name, short, "district", city.adcode)
            self.target = (district, "towns")

    def finish(self) -> dict[str, _Node]:
        """Every node by adcode: the pending cities' towns made districts, each district's towns picked."""
        for _code, (city, towns, allow) in sorted(self.pending.items()):
            for district in _towns_as_districts(city, towns, allow):
                self.nodes[district.adcode] = district
        self.pending.clear()
        for node in self.nodes.values():
            if node.level == "district" and node.towns:
                node.towns = _pick_towns(node.towns, node.name)
        return self.nodes


def _build_tree(china_location: Path) -> dict[str, _Node]:
    """The nodes of china_location's tree by adcode (see :class:`_TreeBuilder`)."""
    builder = _TreeBuilder()
    for depth, parts in _read_tree(china_location):
        builder.add(depth, parts)
    return builder.finish()


def _read_postcodes(phone_location: Path) -> dict[tuple[str, str], str]:
    codes: dict[tuple[str, str], str] = {}
    with phone_location.open(encoding="utf-8", newline="") as f:
        for raw in f:
            line = raw.rstrip("\r\n")
            if not line or line.startswith("\t"):
                continue
            place, _area, postcode = line.split("\t")
            prov, city = place.split(" ")
            codes[(prov, city)] = postcode.strip().zfill(6)
    return codes


def _city_keys(city: _Node) -> list[str]:
    keys = [*city.short_alts, city.short, city.name]
    out: list[str] = []
    for k in keys:
        for v in (k, re.sub(r"(市|地区|盟|州|林区)$", "", k)):
            if v and v not in out:
                out.append(v)
    return out


def _km(a: _Node, b: _Node) -> float:
    lat1, lat2 = math.radians(float(a.lat)), math.radians(float(b.lat))
    dlat, dlng = lat2 - lat1, math.radians(float(b.lng) - float(a.lng))
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlng / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def _assign_postcodes(nodes: dict[str, _Node], codes: dict[tuple[str, str], str]) -> dict[str, list[str]]:
    cities = [n for n in sorted(nodes.values(), key=lambda n: n.adcode) if n.level == "city"]
    used: set[tuple[str, str]] = set()
    for c in cities:
        prov = nodes[c.parent or ""].short
        for key in _city_keys(c):
            if (prov, key) in codes:
                c.postcode, c.postcode_src = codes[(prov, key)], "name"
                used.add((prov, key))
                break
    unmatched = [c for c in cities if not c.postcode]
    for c in unmatched:
        peers = [p for p in cities if p.parent == c.parent and p.postcode_src == "name"]
        nearest = min(peers, key=lambda p: (_km(c, p), p.adcode))
        c.postcode, c.postcode_src = nearest.postcode, f"nearest:{nearest.adcode}"
    for n in nodes.values():
        if n.level == "district":
            n.postcode, n.postcode_src = nodes[n.parent or ""].postcode, "city"
    return {
        "unmatched": [f"{c.adcode} {c.name} -> {c.postcode_src} {c.postcode}" for c in unmatched],
        "unused": [" ".join(k) for k in sorted(set(codes) - used)],
    }


def _read_coordinates(adcodes_csv: Path) -> dict[str, tuple[str, str, str]]:
    coords: dict[str, tuple[str, str, str]] = {}
    with adcodes_csv.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            code = row["adcode"]
            if code.endswith("000000") and row["longitude"] and row["latitude"]:
                coords[code[:6]] = (row["name"], row["longitude"], row["latitude"])
    return coords


def _stem(name: str) -> str:
    return name[:-1] if len(name) > 2 and name[-1] in "区县市" else name


def _assign_coordinates(nodes: dict[str, _Node], coords: dict[str, tuple[str, str, str]]) -> dict[str, int]:
    by_stem: dict[str, list[str]] = {}
    for code, (name, _, _) in coords.items():
        by_stem.setdefault(_stem(name), []).append(code)
    counts = {"adcode": 0, "name": 0, "parent": 0}
    for n in sorted(nodes.values(), key=lambda n: n.adcode):  # parents before children
        if n.adcode in coords:
            _, n.lng, n.lat = coords[n.adcode]
            counts["adcode"] += 1
            continue
        same = by_stem.get(_stem(n.name), [])
        hit = [c for c in same if c[:4] == n.adcode[:4]] or [c for c in same if c[:2] == n.adcode[:2]]
        if n.level != "province" and len(n.adcode) == 6 and len(hit) == 1:
            _, n.lng, n.lat = coords[hit[0]]
            counts["name"] += 1
            continue
        parent = nodes[n.parent] if n.parent else None
        if parent is None:
            raise ValueError(f"{n.adcode} {n.name}: province without coordinates in cpca")
        n.lng, n.lat = parent.lng, parent.lat
        counts["parent"] += 1
    return counts


def derive(china_location: Path, phone_location: Path, adcodes_csv: Path) -> tuple[list[list[str]], dict]:
    """The rows of the data file (header first) and a report of what was matched how."""
    nodes = _build_tree(china_location)
    coord_counts = _assign_coordinates(nodes, _read_coordinates(adcodes_csv))
    postcode_report = _assign_postcodes(nodes, _read_postcodes(phone_location))
    rows = [list(COLUMNS)]
    for n in sorted(nodes.values(), key=lambda n: n.adcode):
        if n.level != "province" and not re.fullmatch(r"\d{6}", n.postcode):
            raise ValueError(f"{n.adcode} {n.name}: no postcode")
        rows.append([n.adcode, n.name, n.short, n.level, n.parent or "", n.postcode, n.lng, n.lat,
                     n.postcode_src, "|".join(n.towns)])
    levels = {lvl: sum(1 for n in nodes.values() if n.level == lvl) for lvl in ("province", "city", "district")}
    report = {
        "rows": levels,
        "towns": sum(len(n.towns) for n in nodes.values()),
        "cities_without_districts": sorted(
            f"{c.adcode} {c.name}" for c in nodes.values()
            if c.level == "city" and not any(d.parent == c.adcode for d in nodes.values())),
        "coordinates": coord_counts,
        "postcodes_by_name": sum(1 for n in nodes.values() if n.postcode_src == "name"),
        **postcode_report,
    }
    return rows, report


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 4:
        print(USAGE, file=sys.stderr)
        return 2
    china_location, phone_location, adcodes_csv, out = (Path(a) for a in args)
    for p in (china_location, phone_location, adcodes_csv):
        print(f"sha256 {hashlib.sha256(p.read_bytes()).hexdigest()}  {p}")
    rows, report = derive(china_location, phone_location, adcodes_csv)
    with out.open("w", encoding="utf-8", newline="\n") as f:
        csv.writer(f, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE).writerows(rows)
    print(f"wrote {out}: {out.stat().st_size} bytes")
    for key, value in report.items():
        if isinstance(value, list):
            print(f"{key}: {len(value)}")
            for item in value:
                print(f"  {item}")
        else:
            print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
