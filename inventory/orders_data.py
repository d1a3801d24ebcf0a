"""Locale tables of the orders area: Chinese names, mobile prefixes, carriers, shopping habits.

Plain tables, in the manner of Faker's ``providers/person/zh_CN``; :mod:`twinchat.inventory.orders`
draws from them with the area's RNG. Weights are relative, not shares.
"""

from __future__ import annotations

__all__ = [
    "SURNAMES",
    "GIVEN_MALE",
    "GIVEN_FEMALE",
    "GIVEN_NEUTRAL",
    "MOBILE_PREFIXES",
    "CARRIERS",
    "CATEGORY_WEIGHTS",
    "HOUR_WEIGHTS",
    "DAY_BOOSTS",
    "CANCEL_REASONS",
    "UNPAID_REASON",
]

#: (surname, weight): the commonest surnames, weighted roughly by how many people bear them,
#: and a few compound surnames.
SURNAMES: tuple[tuple[str, float], ...] = (
    ("王", 7.1), ("李", 7.0), ("张", 6.8), ("刘", 5.4), ("陈", 4.6), ("杨", 3.1), ("黄", 2.4),
    ("赵", 2.3), ("吴", 2.1), ("周", 2.1), ("徐", 1.7), ("孙", 1.5), ("马", 1.5), ("朱", 1.3),
    ("胡", 1.3), ("郭", 1.2), ("何", 1.2), ("林", 1.1), ("高", 1.1), ("罗", 1.0), ("郑", 1.0),
    ("梁", 0.9), ("谢", 0.8), ("宋", 0.8), ("唐", 0.8), ("许", 0.7), ("韩", 0.7), ("邓", 0.7),
    ("冯", 0.7), ("曹", 0.6), ("彭", 0.6), ("曾", 0.6), ("肖", 0.6), ("田", 0.6), ("董", 0.5),
    ("潘", 0.5), ("袁", 0.5), ("蔡", 0.5), ("蒋", 0.5), ("余", 0.5), ("于", 0.5), ("杜", 0.5),
    ("叶", 0.5), ("程", 0.5), ("魏", 0.4), ("苏", 0.4), ("吕", 0.4), ("丁", 0.4), ("任", 0.4),
    ("卢", 0.4), ("姚", 0.4), ("沈", 0.4), ("钟", 0.4), ("姜", 0.4), ("崔", 0.4), ("谭", 0.4),
    ("陆", 0.3), ("范", 0.3), ("汪", 0.3), ("廖", 0.3), ("石", 0.3), ("金", 0.3), ("韦", 0.3),
    ("贾", 0.3), ("夏", 0.3), ("付", 0.3), ("方", 0.3), ("邹", 0.3), ("熊", 0.2), ("白", 0.2),
    ("孟", 0.2), ("秦", 0.2), ("邱", 0.2), ("侯", 0.2), ("江", 0.2), ("尹", 0.2), ("薛", 0.2),
    ("闫", 0.2), ("段", 0.2), ("雷", 0.2), ("龙", 0.2), ("黎", 0.2), ("史", 0.2), ("陶", 0.2),
    ("贺", 0.2), ("毛", 0.2), ("郝", 0.2), ("顾", 0.2), ("龚", 0.2), ("邵", 0.2), ("万", 0.2),
    ("覃", 0.1), ("武", 0.1), ("钱", 0.1), ("戴", 0.1), ("严", 0.1), ("莫", 0.1), ("孔", 0.1),
    ("向", 0.1), ("常", 0.1), ("汤", 0.1), ("康", 0.1), ("易", 0.1), ("乔", 0.1), ("赖", 0.1),
    ("文", 0.1), ("欧阳", 0.05), ("司马", 0.01), ("上官", 0.01), ("诸葛", 0.01),
)

#: Characters of given names, by the gender they usually mark.
GIVEN_MALE = (
    "伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "刚", "辉", "鹏", "飞", "鑫", "波", "浩",
    "凯", "健", "俊", "帆", "帅", "旭", "龙", "建", "国", "志", "峰", "亮", "成", "东", "海", "博",
    "轩", "泽", "睿", "航", "豪", "锐", "昊", "哲", "天", "铭", "毅", "坤", "松", "林", "阳", "诚",
)
GIVEN_FEMALE = (
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "秀", "燕", "玲", "丹", "萍", "红", "玉", "兰",
    "琳", "雪", "倩", "婷", "颖", "慧", "莉", "洁", "琴", "莹", "欣", "怡", "悦", "妍", "涵", "诗",
    "梦", "雯", "晶", "蕾", "薇", "璐", "瑶", "琪", "馨", "露", "佳", "彤", "婉", "雅", "淑", "媛",
)
#: Used by either gender, usually as the first of two given characters.
GIVEN_NEUTRAL = (
    "文", "晓", "子", "安", "嘉", "明", "清", "晨", "家", "春", "秋", "乐", "新", "永", "宇", "思",
    "雨", "一", "欣", "可", "若", "少", "云", "立",
)

#: (three-digit prefix, weight): mobile prefixes of the three operators, all valid for
#: libphonenumber's CN metadata; long-established ranges weigh more.
MOBILE_PREFIXES: tuple[tuple[str, float], ...] = (
    ("130", 3), ("131", 3), ("132", 3), ("133", 3), ("134", 2), ("135", 4), ("136", 4),
    ("137", 4), ("138", 5), ("139", 5), ("145", 0.5), ("147", 1), ("150", 3), ("151", 3),
    ("152", 3), ("153", 2), ("155", 2), ("156", 2), ("157", 2), ("158", 3), ("159", 3),
    ("166", 1), ("173", 1), ("175", 1), ("176", 1), ("177", 1), ("178", 1), ("180", 2),
    ("181", 2), ("182", 2), ("183", 2), ("184", 1), ("185", 2), ("186", 3), ("187", 3),
    ("188", 3), ("189", 3), ("191", 1), ("195", 0.5), ("198", 1), ("199", 1),
)

#: (carrier, weight, tracking-number prefix, digits after the prefix, what it calls a hub).
CARRIERS: tuple[tuple[str, float, str, int, str], ...] = (
    ("顺丰速运", 30, "SF", 13, "中转场"),
    ("京东物流", 25, "JDVA", 11, "分拣中心"),
    ("中通快递", 15, "78", 12, "转运中心"),
    ("圆通速递", 12, "YT", 13, "转运中心"),
    ("韵达快递", 10, "43", 13, "分拨中心"),
    ("EMS", 8, "11", 11, "邮件处理中心"),
)

#: (category id, weight): how often a category appears on an order line.
CATEGORY_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("charger", 3), ("memory", 3), ("ssd", 3), ("phone", 2), ("laptop", 1.5), ("charging_pile", 1),
)

#: Relative order volume per hour of the day, 00:00 … 23:00 (busy late mornings and evenings).
HOUR_WEIGHTS: tuple[float, ...] = (
    2, 1, 0.5, 0.3, 0.2, 0.3, 0.8, 2, 4, 6, 7, 7, 6, 6, 6, 6, 6, 6, 6, 7, 9, 10, 9, 5,
)

#: ('MM-DD', factor): shopping festivals multiply the volume of their day.
DAY_BOOSTS: tuple[tuple[str, float], ...] = (("11-10", 2.0), ("11-11", 4.0), ("12-12", 2.5))

#: Why a paid order was cancelled before it shipped (the buyer's reason as the shop records it).
CANCEL_REASONS: tuple[str, ...] = ("不想要了", "地址填写错误", "重复下单", "商品降价", "发货太慢")

#: Why an unpaid order was cancelled.
UNPAID_REASON = "超时未支付,系统自动取消"
