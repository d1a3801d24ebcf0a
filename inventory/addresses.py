"""Coherent Chinese postal addresses on real regions.

Dependency rule: this module imports nothing of twinchat's but the rest of ``twinchat.inventory``'s
region code (:mod:`twinchat.inventory.regions`, which imports only ``.errors``).

An address is a real district of the region table (so its province ⊃ city ⊃ district chain and
its postcode are right by construction) plus a detail part built from the locale tables below,
in the manner of Faker's ``providers/address/zh_CN``: optionally one of the district's 街道/镇,
then a road with a house number, then a residential compound (building, unit, room), an office
tower (floor, room) or an industrial park (building, floor).

Styles of :meth:`Address.text`:

===============  ===========================================================================
``full``         广东省深圳市南山区粤海街道科技南路18号华润大厦12楼1203室
                 (a municipality names itself once: 北京市朝阳区…)
``no_province``  深圳市南山区粤海街道科技南路18号华润大厦12楼1203室 (a municipality as in full)
``spaced``       广东省 深圳市 南山区 粤海街道科技南路18号华润大厦12楼1203室
===============  ===========================================================================
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from bisect import bisect
from itertools import accumulate

from twinchat.inventory.regions import Region, RegionTable, UnknownRegionError


def _one(rng: random.Random, seq: tuple | list) -> object:
    """``rng.choice`` without its overhead (one ``random()`` call per draw)."""
    return seq[int(rng.random() * len(seq))]


def _int(rng: random.Random, low: int, high: int) -> int:
    """``rng.randint`` without its overhead: an integer in [low, high]."""
    return low + int(rng.random() * (high - low + 1))


def _weighted(rng: random.Random, seq: tuple, cum: tuple[float, ...]) -> object:
    """A weighted draw with precomputed cumulative weights."""
    return seq[bisect(cum, rng.random() * cum[-1])]

__all__ = ["Address", "AddressGenerator", "STYLES", "MAJOR_CITIES"]

STYLES = ("full", "no_province", "spaced")

# --- where addresses land ----------------------------------------------------------------------

#: (city adcode, name, weight): cities that addresses favour, roughly by urban population and
#: online-shopping volume. Every other city weighs DEFAULT_CITY_WEIGHT (COUNTY_CITY_WEIGHT for a
#: county-level city directly under its province), so every district can be drawn.
MAJOR_CITIES: tuple[tuple[str, str, float], ...] = (
    ("110100", "北京市", 20), ("310100", "上海市", 20), ("440100", "广州市", 20), ("440300", "深圳市", 20),
    ("510100", "成都市", 10), ("330100", "杭州市", 10), ("500100", "重庆市", 10), ("420100", "武汉市", 10),
    ("610100", "西安市", 10), ("320500", "苏州市", 10), ("120100", "天津市", 10), ("320100", "南京市", 10),
    ("430100", "长沙市", 10), ("410100", "郑州市", 10), ("441900", "东莞市", 10), ("370200", "青岛市", 10),
    ("210100", "沈阳市", 10), ("330200", "宁波市", 10), ("530100", "昆明市", 10),
    ("340100", "合肥市", 4), ("440600", "佛山市", 4), ("350100", "福州市", 4), ("320200", "无锡市", 4),
    ("350200", "厦门市", 4), ("230100", "哈尔滨市", 4), ("220100", "长春市", 4), ("360100", "南昌市", 4),
    ("370100", "济南市", 4), ("210200", "大连市", 4), ("520100", "贵阳市", 4), ("330300", "温州市", 4),
    ("130100", "石家庄市", 4), ("350500", "泉州市", 4), ("450100", "南宁市", 4), ("330700", "金华市", 4),
    ("320400", "常州市", 4), ("440400", "珠海市", 4), ("441300", "惠州市", 4), ("330400", "嘉兴市", 4),
    ("320600", "南通市", 4), ("442000", "中山市", 4), ("130600", "保定市", 4), ("620100", "兰州市", 4),
    ("331000", "台州市", 4), ("320300", "徐州市", 4), ("140100", "太原市", 4), ("330600", "绍兴市", 4),
    ("370600", "烟台市", 4), ("131000", "廊坊市", 4),
    ("460100", "海口市", 2), ("150100", "呼和浩特市", 2), ("650100", "乌鲁木齐市", 2),
    ("640100", "银川市", 2), ("630100", "西宁市", 2), ("540100", "拉萨市", 2),
    ("460300", "三沙市", 0.05),
)
DEFAULT_CITY_WEIGHT = 1.0
COUNTY_CITY_WEIGHT = 0.4

#: How a district weighs within its city, by the end of its name (first match wins).
DISTRICT_KIND_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("街道", 1.0), ("林区", 0.2), ("区", 1.0), ("市", 0.6), ("县", 0.35), ("旗", 0.3), ("镇", 0.6), ("乡", 0.3),
)
DEFAULT_DISTRICT_WEIGHT = 0.3

# --- the detail part ---------------------------------------------------------------------------

#: Share of addresses that name one of the district's 街道/镇 (when the data has some).
TOWN_RATE = 0.35
ROAD_STEMS = (
    "中山", "人民", "解放", "建设", "科技", "滨河", "长江", "黄河", "和平", "胜利", "新华", "文化", "工业",
    "青年", "友谊", "迎宾", "体育", "学府", "光明", "幸福", "团结", "东风", "红旗", "振兴", "民主", "五一",
    "健康", "金融", "世纪", "创业", "高新", "环城", "滨江", "滨湖", "北京", "南京", "上海", "延安", "天山",
    "黄山", "泰山", "珠江", "湘江", "淮河", "银河", "凤凰", "建国", "复兴", "育才", "花园", "府前", "站前",
    "沿江", "海滨", "丰收", "民生", "人和", "新城", "长安", "太平", "学院", "工农", "兴业", "商业", "朝阳",
    "金山", "翠湖", "桂花", "松林", "春风", "龙腾", "东湖", "西湖", "南湖", "北湖", "沿河", "交通", "公园",
)
ROAD_SUFFIXES = ("路", "大道", "街", "大街", "巷")
ROAD_SUFFIX_WEIGHTS = (62, 10, 14, 8, 6)
_ROAD_SUFFIX_CUM = tuple(accumulate(ROAD_SUFFIX_WEIGHTS))
DIRECTIONS = ("东", "西", "南", "北", "中")
ORDINALS = ("一", "二", "三", "四", "五", "六")

PLACE_KINDS = ("residential", "office", "park")
PLACE_KIND_WEIGHTS = (62, 25, 13)
#: In a county, a county-level city or a town: more homes, fewer and lower towers.
TOWN_PLACE_KIND_WEIGHTS = (85, 10, 5)
_PLACE_CUM = tuple(accumulate(PLACE_KIND_WEIGHTS))
_TOWN_PLACE_CUM = tuple(accumulate(TOWN_PLACE_KIND_WEIGHTS))
#: Top floor of a residential building and of an office tower: in a city district, elsewhere.
TOP_FLOORS = {"residential": (33, 18), "office": (48, 20)}

DEVELOPERS = ("万科", "保利", "龙湖", "碧桂园", "中海", "华润", "招商", "金地", "绿地", "融创", "世茂", "新城")
COMPOUND_STEMS = (
    "阳光", "金色", "碧水", "翠湖", "锦绣", "御景", "丽景", "海逸", "星河", "紫荆", "桂园", "枫林", "绿城",
    "滨江", "湖畔", "春华", "书香", "怡景", "康乐", "和谐", "盛世", "天骄", "东方", "香榭", "玫瑰", "金桂",
    "银杏", "水岸", "半岛", "江南", "东湖", "西城", "南苑", "北辰", "明珠", "富丽", "华侨", "新世纪", "幸福",
    "凤凰", "龙湾", "翡翠", "云顶", "山水", "兰亭", "清华", "长城", "泰和", "文华", "锦江",
)
COMPOUND_TYPES = ("花园", "小区", "苑", "华庭", "家园", "新村", "名苑", "雅苑", "嘉园", "公馆", "府", "城", "公寓")
BUILDING_FORMS = ("{}栋", "{}号楼", "{}幢")
TOWER_STEMS = (
    "华润", "招商", "中信", "国贸", "世贸", "环球", "财富", "汇金", "鼎盛", "星海", "天安", "创新", "时代",
    "金融", "海岸", "卓越", "东方", "新世纪", "泰富", "嘉里", "银泰", "恒基", "中环", "金鹰", "凯德", "君悦",
)
TOWER_TYPES = ("大厦", "中心", "广场", "国际中心", "商务中心", "金融中心", "科技大厦", "写字楼")
WINGS = ("A", "B", "C", "D")
PARK_STEMS = ("高新", "创新", "智慧", "软件", "数码", "创意", "生物", "光电", "电子", "未来", "国际", "云谷")
PARK_TYPES = ("科技园", "软件园", "创业园", "产业园", "工业园", "创意园")


@dataclass(frozen=True)
class Address:
    """A postal address on a real district; names are full names (广东省, 深圳市, 南山区).

    ``province`` is never empty; for a municipality it equals ``city`` (北京市), and
    :meth:`text` names it once. ``postcode`` is the city's, ``adcode`` the district's.
    """

    province: str
    city: str
    district: str
    detail: str
    postcode: str
    adcode: str

    def text(self, style: str = "full") -> str:
        """The address as one string in a style of :data:`STYLES` (see the module docstring)."""
        head = [self.province] if self.province != self.city else []
        if style == "full":
            return "".join([*head, self.city, self.district, self.detail])
        if style == "no_province":
            return "".join([self.city, self.district, self.detail])
        if style == "spaced":
            return " ".join([*head, self.city, self.district, self.detail])
        raise ValueError(f"unknown address style {style!r}; expected one of {', '.join(STYLES)}")


@dataclass(frozen=True)
class _Draw:
    districts: tuple[Region, ...]
    cum_weights: tuple[float, ...]

    def pick(self, rng: random.Random) -> Region:
        return self.districts[bisect(self.cum_weights, rng.random() * self.cum_weights[-1])]


def city_weight(city: Region) -> float:
    """How often addresses land in ``city`` relative to others (see :data:`MAJOR_CITIES`)."""
    for adcode, _name, weight in MAJOR_CITIES:
        if adcode == city.adcode:
            return float(weight)
    return COUNTY_CITY_WEIGHT if city.adcode[2:4] == "90" else DEFAULT_CITY_WEIGHT


def district_weight(district: Region) -> float:
    """How a district weighs within its city, by the kind its name says (区 > 市 > 县 …)."""
    for suffix, weight in DISTRICT_KIND_WEIGHTS:
        if district.name.endswith(suffix):
            return weight
    return DEFAULT_DISTRICT_WEIGHT


@lru_cache(maxsize=4)
def _draws(regions: RegionTable) -> tuple[_Draw, dict[str, _Draw]]:
    """The weighted draw over all districts, and one per city (computed once per table)."""
    everywhere: list[tuple[Region, float]] = []
    per_city: dict[str, _Draw] = {}
    for city in regions.cities:
        districts = regions.children(city.adcode)
        if not districts or not city.postcode_exact:
            continue
        kinds = [district_weight(d) for d in districts]
        per_city[city.adcode] = _Draw(districts, tuple(accumulate(kinds)))
        share = city_weight(city) / sum(kinds)
        everywhere += [(d, share * k) for d, k in zip(districts, kinds)]
    everywhere.sort(key=lambda dw: dw[0].adcode)
    draw = _Draw(tuple(d for d, _ in everywhere), tuple(accumulate(w for _, w in everywhere)))
    return draw, per_city


class AddressGenerator:
    """Draws coherent addresses; all randomness comes from ``rng`` (same state, same address)."""

    def __init__(self, regions: RegionTable, rng: random.Random) -> None:
        self._regions = regions
        self._rng = rng
        self._everywhere, self._per_city = _draws(regions)

    def sample(self, *, city: str | None = None, district: str | None = None,
               rng: random.Random | None = None) -> Address:
        """An address in ``district``, else in a district of ``city``, else anywhere (both adcodes).

        Anywhere favours major cities (:data:`MAJOR_CITIES`), but every district can be drawn.
        ``rng``, when given, replaces the generator's RNG from this draw on (one generator can
        then serve many per-sample RNGs).
        """
        if rng is not None:
            self._rng = rng
        regions = self._regions
        if district is not None:
            chosen = regions.get(district)
            if chosen.level != "district":
                raise UnknownRegionError(f"{district} {chosen.name} is a {chosen.level}, not a district")
            if city is not None and chosen.parent != city:
                raise UnknownRegionError(f"district {district} {chosen.name} is not in city {city}")
        elif city is not None:
            c = regions.get(city)
            if c.level != "city":
                raise UnknownRegionError(f"{city} {c.name} is a {c.level}, not a city")
            if city not in self._per_city:
                raise UnknownRegionError(f"city {city} {c.name} has no districts to place an address in")
            chosen = self._per_city[city].pick(self._rng)
        else:
            chosen = self._everywhere.pick(self._rng)
        province, city_row, chosen = regions.chain(chosen.adcode)
        return Address(
            province=province.name, city=city_row.name, district=chosen.name,
            detail=self.detail(chosen), postcode=chosen.postcode or "", adcode=chosen.adcode,
        )

    def detail(self, district: Region) -> str:
        """The part after the district: [街道/镇] road number, then a home, an office or a park."""
        rng = self._rng
        urban = district.name.endswith(("区", "街道"))
        towns = self._regions.towns(district.adcode)
        town = _one(rng, towns) if towns and rng.random() < TOWN_RATE else ""
        road = self._road()
        kind = _weighted(rng, PLACE_KINDS, _PLACE_CUM if urban else _TOWN_PLACE_CUM)
        if kind == "park":
            return town + road + self._park()
        top = TOP_FLOORS[kind][0 if urban else 1]
        return town + road + (self._home(top) if kind == "residential" else self._office(top))

    def _road(self) -> str:
        rng = self._rng
        stem = _one(rng, ROAD_STEMS)
        suffix = _weighted(rng, ROAD_SUFFIXES, _ROAD_SUFFIX_CUM)
        modifier = ""
        if suffix in ("路", "街", "大街"):
            roll = rng.random()
            if roll < 0.3:
                modifier = _one(rng, DIRECTIONS)
            elif roll < 0.38 and suffix == "路":
                modifier = _one(rng, ORDINALS)
        return f"{stem}{modifier}{suffix}{self._house_number()}号"

    def _house_number(self) -> int:
        rng = self._rng
        roll = rng.random()
        if roll < 0.6:
            return _int(rng, 1, 99)
        if roll < 0.9:
            return _int(rng, 100, 499)
        return _int(rng, 500, 2999)

    def _room(self, top_floor: int) -> tuple[int, str]:
        floor = _int(self._rng, 1, top_floor)
        return floor, f"{floor}{_int(self._rng, 1, 8):02d}"

    def _home(self, top_floor: int) -> str:
        rng = self._rng
        developer = _one(rng, DEVELOPERS) if rng.random() < 0.25 else ""
        name = developer + _one(rng, COMPOUND_STEMS) + _one(rng, COMPOUND_TYPES)
        building = _one(rng, BUILDING_FORMS).format(_int(rng, 1, 32))
        unit = f"{_int(rng, 1, 6)}单元" if rng.random() < 0.6 else ""
        _, room = self._room(top_floor)
        return f"{name}{building}{unit}{room}室"

    def _office(self, top_floor: int) -> str:
        rng = self._rng
        name = _one(rng, TOWER_STEMS) + _one(rng, TOWER_TYPES)
        wing = f"{_one(rng, WINGS)}座" if rng.random() < 0.3 else ""
        floor, room = self._room(top_floor)
        return f"{name}{wing}{floor}{_one(rng, ('楼', '层'))}{room}室"

    def _park(self) -> str:
        rng = self._rng
        name = _one(rng, PARK_STEMS) + _one(rng, PARK_TYPES)
        building = _int(rng, 1, 20)
        floor, room = self._room(12)
        if rng.random() < 0.5:
            return f"{name}{building}栋{floor}楼"
        return f"{name}{building}栋{room}室"
