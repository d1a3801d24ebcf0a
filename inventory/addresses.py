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
from bisect import bisect
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from types import MappingProxyType
from typing import NamedTuple

from twinchat.inventory.regions import Region, RegionTable, UnknownRegionError

__all__ = ["Address", "AddressGenerator", "Place", "city_districts", "region_texts", "STYLES", "MAJOR_CITIES",
           "KEEP_PLACES", "SESSION_KEEP_PLACES"]

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
_BUILDING_SUFFIXES = tuple(form.replace("{}", "") for form in BUILDING_FORMS)  # each form is "{}" + suffix
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
        return _styled(*region_texts(self.province, self.city, self.district), self.detail, style)


@lru_cache(maxsize=8192)
def region_texts(province: str, city: str, district: str) -> tuple[str, str, str]:
    """(region, region_spaced, city_district) of a district: 广东省深圳市南山区, 广东省 深圳市 南山区,
    深圳市南山区. A municipality is named once: 北京市朝阳区, 北京市 朝阳区, 北京市朝阳区."""
    parts = [province] + ([city] if city != province else []) + [district]
    return "".join(parts), " ".join(parts), city + district


def _styled(region: str, region_spaced: str, city_district: str, detail: str, style: str) -> str:
    if style == "full":
        return region + detail
    if style == "no_province":
        return city_district + detail
    if style == "spaced":
        return region_spaced + " " + detail
    raise ValueError(f"unknown address style {style!r}; expected one of {', '.join(STYLES)}")


class Place(NamedTuple):
    """What an address takes from its district, looked up once per district: the names (as in
    :class:`Address`), the region as written (:func:`region_texts`), and what the detail part
    depends on (an urban district, its 街道/镇). A named tuple: a long run makes one for each of
    thousands of districts."""

    province: str
    city: str
    district: str
    postcode: str
    adcode: str
    region: str
    region_spaced: str
    city_district: str
    urban: bool
    towns: tuple[str, ...]
    #: :meth:`parts` but the detail (made once, copied per address)
    base: Mapping[str, str] = MappingProxyType({})

    def parts(self, detail: str) -> dict[str, str]:
        """The address at this place with this detail part as a dict: province, city, district,
        detail, postcode, adcode, region, region_spaced, city_district."""
        parts = self.base.copy()
        parts["detail"] = detail
        return parts

    def text(self, detail: str, style: str = "full") -> str:
        """:meth:`Address.text` of the address at this place with this detail part."""
        if style == "full":
            return self.region + detail
        return _styled(self.region, self.region_spaced, self.city_district, detail, style)

    def address(self, detail: str) -> Address:
        """The address at this place with this detail part."""
        return Address(self.province, self.city, self.district, detail, self.postcode, self.adcode)


class _Draw(NamedTuple):
    """A weighted draw of districts (a named tuple: cheaper to define than a frozen dataclass)."""

    districts: tuple[Region, ...]
    cum_weights: tuple[float, ...]

    def pick(self, rng: random.Random) -> Region:
        return self.districts[bisect(self.cum_weights, rng.random() * self.cum_weights[-1])]


#: :data:`MAJOR_CITIES`' weights by adcode, and the longest suffix of DISTRICT_KIND_WEIGHTS
_MAJOR_WEIGHTS = {adcode: float(weight) for adcode, _name, weight in reversed(MAJOR_CITIES)}
_KIND_SUFFIX_LENGTH = max(len(suffix) for suffix, _ in DISTRICT_KIND_WEIGHTS)


def city_weight(city: Region) -> float:
    """How often addresses land in ``city`` relative to others (see :data:`MAJOR_CITIES`)."""
    weight = _MAJOR_WEIGHTS.get(city.adcode)
    if weight is not None:
        return weight
    return COUNTY_CITY_WEIGHT if city.adcode[2:4] == "90" else DEFAULT_CITY_WEIGHT


def district_weight(district: Region) -> float:
    """How a district weighs within its city, by the kind its name says (区 > 市 > 县 …)."""
    return _kind_weight(district.name[-_KIND_SUFFIX_LENGTH:])


@lru_cache(maxsize=2048)
def _kind_weight(ending: str) -> float:
    """The weight of a district whose name ends in ``ending`` (as long as the longest suffix: the
    first suffix it ends with decides, as for the whole name; the table's 3,153 districts end in
    about 1,100 ways)."""
    for suffix, weight in DISTRICT_KIND_WEIGHTS:
        if ending.endswith(suffix):
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


#: the districts' places an :class:`AddressGenerator` keeps: more than the built-in table's 3,153
KEEP_PLACES = 4096
#: the bound a run of sessions sets (``compose``): draws favour major cities, and in 20,000
#: sessions of the built-in mix a place was made again for one draw in nine; held to every
#: district, the places (about a kilobyte each) kept growing for as long as the run drew new ones
SESSION_KEEP_PLACES = 1024


def city_districts(regions: RegionTable, city: str) -> tuple[tuple[Region, ...], tuple[float, ...]] | None:
    """The districts of ``city`` (adcode) and their cumulative weights by kind (:func:`district_weight`),
    as the address draws hold them (one copy per region table), or None for a city they place no
    address in (one without districts or without an exact postcode)."""
    return _draws(regions)[1].get(city)


class AddressGenerator:
    """Draws coherent addresses; all randomness comes from ``rng`` (same state, same address).
    It keeps the :class:`Place` of at most ``keep`` districts before it starts over."""

    def __init__(self, regions: RegionTable, rng: random.Random, keep: int = KEEP_PLACES) -> None:
        self._regions = regions
        self._rng = rng
        self._everywhere, self._per_city = _draws(regions)
        self._places: dict[str, Place] = {}
        self._keep = keep

    def sample(self, *, city: str | None = None, district: str | None = None,
               rng: random.Random | None = None) -> Address:
        """An address in ``district``, else in a district of ``city``, else anywhere (both adcodes).

        Anywhere favours major cities (:data:`MAJOR_CITIES`), but every district can be drawn.
        ``rng``, when given, replaces the generator's RNG from this draw on (one generator can
        then serve many per-sample RNGs).
        """
        place, detail = self.draw(city=city, district=district, rng=rng)
        return place.address(detail)

    def draw(self, *, city: str | None = None, district: str | None = None,
             rng: random.Random | None = None) -> tuple[Place, str]:
        """What :meth:`sample` makes its address of, drawn the same way: (place, detail part)."""
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
            draw = self._per_city.get(city)
            if draw is None:
                c = regions.get(city)
                if c.level != "city":
                    raise UnknownRegionError(f"{city} {c.name} is a {c.level}, not a city")
                raise UnknownRegionError(f"city {city} {c.name} has no districts to place an address in")
            chosen = draw.pick(self._rng)
        else:
            cum = self._everywhere.cum_weights  # _Draw.pick, inline: the common case
            chosen = self._everywhere.districts[bisect(cum, self._rng.random() * cum[-1])]
        place = self._places.get(chosen.adcode) or self.place(chosen.adcode)
        return place, self._detail(place.urban, place.towns)

    def forget(self) -> None:
        """Keep no :class:`Place` made so far."""
        self._places.clear()

    def place(self, adcode: str) -> Place:
        """The :class:`Place` of a district (made once per district)."""
        place = self._places.get(adcode)
        if place is None:
            if len(self._places) >= self._keep:
                self._places.clear()
            province, city, district = self._regions.chain(adcode)
            names = (province.name, city.name, district.name)
            # made afresh: the texts live as long as the place, not in region_texts' cache as well
            region, region_spaced, city_district = region_texts.__wrapped__(*names)
            base = {"province": names[0], "city": names[1], "district": names[2], "detail": "",
                    "postcode": district.postcode or "", "adcode": district.adcode, "region": region,
                    "region_spaced": region_spaced, "city_district": city_district}
            place = self._places[adcode] = Place(
                *names, base["postcode"], district.adcode, region, region_spaced, city_district,
                district.name.endswith(("区", "街道")), self._regions.towns(district.adcode), base)
        return place

    def detail(self, district: Region) -> str:
        """The part after the district: [街道/镇] road number, then a home, an office or a park."""
        return self._detail(district.name.endswith(("区", "街道")), self._regions.towns(district.adcode))

    def _detail(self, urban: bool, towns: tuple[str, ...]) -> str:
        random_ = self._rng.random
        town = towns[int(random_() * len(towns))] if towns and random_() < TOWN_RATE else ""
        # the road: stem, [direction or ordinal], suffix, house number
        stem = ROAD_STEMS[int(random_() * len(ROAD_STEMS))]
        suffix = ROAD_SUFFIXES[bisect(_ROAD_SUFFIX_CUM, random_() * _ROAD_SUFFIX_CUM[-1])]
        modifier = ""
        if suffix in ("路", "街", "大街"):
            roll = random_()
            if roll < 0.3:
                modifier = DIRECTIONS[int(random_() * len(DIRECTIONS))]
            elif roll < 0.38 and suffix == "路":
                modifier = ORDINALS[int(random_() * len(ORDINALS))]
        roll = random_()
        number = (1 + int(random_() * 99) if roll < 0.6 else 100 + int(random_() * 400) if roll < 0.9
                  else 500 + int(random_() * 2500))
        cum = _PLACE_CUM if urban else _TOWN_PLACE_CUM
        kind = PLACE_KINDS[bisect(cum, random_() * cum[-1])]
        if kind == "residential":  # the commonest place, written in one go: [developer] compound,
            # building, [unit], room (floor, then 01–08 on it)
            top = TOP_FLOORS[kind][0 if urban else 1]
            developer = DEVELOPERS[int(random_() * len(DEVELOPERS))] if random_() < 0.25 else ""
            compound = COMPOUND_STEMS[int(random_() * len(COMPOUND_STEMS))]
            compound_type = COMPOUND_TYPES[int(random_() * len(COMPOUND_TYPES))]
            building = _BUILDING_SUFFIXES[int(random_() * len(_BUILDING_SUFFIXES))]
            building_no = 1 + int(random_() * 32)
            unit = f"{1 + int(random_() * 6)}单元" if random_() < 0.6 else ""
            floor = 1 + int(random_() * top)
            return (f"{town}{stem}{modifier}{suffix}{number}号{developer}{compound}{compound_type}"
                    f"{building_no}{building}{unit}{floor}0{1 + int(random_() * 8)}室")
        road = f"{town}{stem}{modifier}{suffix}{number}号"
        if kind == "park":
            return road + self._park()
        return road + self._office(TOP_FLOORS[kind][0 if urban else 1])

    def _office(self, top_floor: int) -> str:
        random_ = self._rng.random
        name = TOWER_STEMS[int(random_() * len(TOWER_STEMS))] + TOWER_TYPES[int(random_() * len(TOWER_TYPES))]
        wing = f"{WINGS[int(random_() * len(WINGS))]}座" if random_() < 0.3 else ""
        floor = 1 + int(random_() * top_floor)
        room = f"{floor}0{1 + int(random_() * 8)}"
        return f"{name}{wing}{floor}{('楼', '层')[int(random_() * 2)]}{room}室"

    def _park(self) -> str:
        random_ = self._rng.random
        name = PARK_STEMS[int(random_() * len(PARK_STEMS))] + PARK_TYPES[int(random_() * len(PARK_TYPES))]
        building = 1 + int(random_() * 20)
        floor = 1 + int(random_() * 12)
        room = f"{floor}0{1 + int(random_() * 8)}"
        if random_() < 0.5:
            return f"{name}{building}栋{floor}楼"
        return f"{name}{building}栋{room}室"
