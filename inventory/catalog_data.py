"""The catalog's locale tables: categories, brands, product lines and device models (zh_CN).

Plain tuples, as a Chinese shop lists its goods. ``catalog.py`` turns them into products with a
seeded choice of variants, prices and features; nothing here is random.

Model codes follow each brand's real naming pattern, but the catalog is simulated: prices,
stock and the exact variant list are made up per seed.
"""

from __future__ import annotations

__all__ = [
    "CATEGORIES",
    "MEMORY_LINES",
    "SSD_LINES",
    "CHARGER_LINES",
    "PILE_LINES",
    "LAPTOP_MODELS",
    "PHONE_MODELS",
]

#: (id, Chinese name, aliases customers use)
CATEGORIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("memory", "内存条", ("内存", "内存条", "运存条", "RAM")),
    ("ssd", "固态硬盘", ("固态", "固态硬盘", "SSD", "硬盘", "M.2硬盘")),
    ("charger", "充电器", ("充电器", "充电头", "快充头", "电源适配器", "适配器")),
    ("charging_pile", "充电桩", ("充电桩", "家用充电桩", "汽车充电桩", "电桩")),
    ("laptop", "笔记本电脑", ("笔记本", "笔记本电脑", "电脑", "本子")),
    ("phone", "手机", ("手机", "智能手机")),
)

# ---------------------------------------------------------------------------------------------
# Memory: (brand, brand_en, series, form, ddr, frequencies, capacities, code pattern, base price
# per 16GB). form: "SODIMM" (laptop) | "UDIMM" (desktop). Code pattern fields: {mhz} {mhz2}
# (first two digits) {gb} {cl}.
MEMORY_LINES: tuple[tuple, ...] = (
    ("金士顿", "Kingston", "FURY Impact", "SODIMM", "DDR5", (4800, 5600), (8, 16, 32), "KF5{mhz2}S40IB-{gb}", 329),
    ("金士顿", "Kingston", "FURY Impact", "SODIMM", "DDR4", (2666, 3200), (8, 16, 32), "KF4{mhz2}S20IB-{gb}", 219),
    ("金士顿", "Kingston", "FURY Beast", "UDIMM", "DDR5", (5600, 6000), (16, 32), "KF5{mhz2}C40BB-{gb}", 359),
    ("英睿达", "Crucial", "笔记本内存", "SODIMM", "DDR5", (4800, 5600), (8, 16, 32), "CT{gb}G{mhz2}C46S5", 299),
    ("英睿达", "Crucial", "笔记本内存", "SODIMM", "DDR4", (3200,), (8, 16, 32), "CT{gb}G4SFRA32A", 199),
    ("三星", "SAMSUNG", "笔记本内存", "SODIMM", "DDR5", (4800, 5600), (8, 16, 32), "M425R{gb}GB0-C{mhz2}", 309),
    ("三星", "SAMSUNG", "笔记本内存", "SODIMM", "DDR4", (2666, 3200), (8, 16), "M471A{gb}K43EB1-C{mhz2}", 189),
    ("威刚", "ADATA", "万紫千红", "SODIMM", "DDR4", (3200,), (8, 16), "AD4S32{gb}G22-SGN", 169),
    ("威刚", "ADATA", "万紫千红", "SODIMM", "DDR5", (4800, 5600), (16, 32), "AD5S{mhz}{gb}G-S", 279),
    ("芝奇", "G.SKILL", "Ripjaws", "SODIMM", "DDR5", (5600,), (16, 32), "F5-{mhz}S4040A{gb}GX1-RS", 369),
    ("芝奇", "G.SKILL", "幻锋戟 Trident Z5", "UDIMM", "DDR5", (6000, 6400), (16, 32), "F5-{mhz}J3036F{gb}GX2-TZ5RK", 459),
    ("海盗船", "CORSAIR", "复仇者 Vengeance", "SODIMM", "DDR5", (4800, 5600), (16, 32), "CMSX{gb}GX5M1A{mhz}C40", 349),
    ("海盗船", "CORSAIR", "复仇者 Vengeance", "UDIMM", "DDR4", (3200, 3600), (8, 16), "CMK{gb}GX4M1E{mhz}C16", 239),
    ("光威", "Gloway", "天策", "SODIMM", "DDR4", (2666, 3200), (8, 16, 32), "TGS4{mhz2}{gb}G", 149),
    ("光威", "Gloway", "天策", "UDIMM", "DDR5", (5600, 6000), (16, 32), "TYA5{mhz2}{gb}G", 269),
    ("金百达", "KINGBANK", "银爵", "UDIMM", "DDR4", (3200, 3600), (8, 16), "KB{mhz}D4-{gb}G", 139),
    ("金百达", "KINGBANK", "笔记本内存", "SODIMM", "DDR5", (4800, 5600), (16, 32), "KBN{mhz}D5-{gb}G", 239),
    ("阿斯加特", "Asgard", "女武神·瓦尔基里", "UDIMM", "DDR5", (6000, 6400), (16, 32), "VMA5{mhz2}{gb}G", 339),
)

# ---------------------------------------------------------------------------------------------
# SSD: (brand, brand_en, series, interface, pcie_gen, capacities (GB), read MB/s, code, base price
# per TB). interface: "NVMe" (M.2 2280 PCIe) | "SATA" (2.5 inch).
SSD_LINES: tuple[tuple, ...] = (
    ("三星", "SAMSUNG", "990 PRO", "NVMe", 4, (1000, 2000, 4000), 7450, "MZ-V9P{tb}T0BW", 799),
    ("三星", "SAMSUNG", "980", "NVMe", 3, (500, 1000), 3500, "MZ-V8V{tb}BW", 459),
    ("三星", "SAMSUNG", "870 EVO", "SATA", 0, (500, 1000, 2000), 560, "MZ-77E{tb}B", 489),
    ("西部数据", "WD", "SN770", "NVMe", 4, (500, 1000, 2000), 5150, "WDS{gb}G3X0E", 469),
    ("西部数据", "WD", "SN850X", "NVMe", 4, (1000, 2000, 4000), 7300, "WDS{gb}G2X0E", 729),
    ("西部数据", "WD", "Blue SA510", "SATA", 0, (500, 1000), 560, "WDS{gb}G3B0A", 389),
    ("致态", "ZhiTai", "TiPlus7100", "NVMe", 4, (512, 1000, 2000), 7000, "ZTSSDPG3-{gb}G-GE", 499),
    ("致态", "ZhiTai", "TiPro7000", "NVMe", 4, (512, 1000, 2000), 7400, "ZTSSDPG3-{gb}G-TP", 599),
    ("金士顿", "Kingston", "NV2", "NVMe", 4, (500, 1000, 2000), 3500, "SNV2S/{gb}G", 399),
    ("金士顿", "Kingston", "KC3000", "NVMe", 4, (512, 1000, 2000), 7000, "SKC3000S/{gb}G", 649),
    ("金士顿", "Kingston", "A400", "SATA", 0, (480, 960), 500, "SA400S37/{gb}G", 329),
    ("英睿达", "Crucial", "P3 Plus", "NVMe", 4, (500, 1000, 2000), 5000, "CT{gb}P3PSSD8", 449),
    ("英睿达", "Crucial", "MX500", "SATA", 0, (500, 1000, 2000), 560, "CT{gb}MX500SSD1", 429),
    ("铠侠", "KIOXIA", "EXCERIA PLUS G3", "NVMe", 4, (1000, 2000), 5000, "LSD10Z{tb}T0GG8", 539),
    ("铠侠", "KIOXIA", "RC20", "NVMe", 3, (500, 1000), 2100, "LRC20Z{gb}GG8", 399),
    ("海康威视", "HIKVISION", "C4000", "NVMe", 4, (1000, 2000), 4950, "HS-SSD-C4000-{gb}G", 429),
)

# ---------------------------------------------------------------------------------------------
# Chargers: (brand, brand_en, series, wattages, ports, protocols, gan)
CHARGER_LINES: tuple[tuple, ...] = (
    ("安克", "Anker", "安芯充Pro", (30, 65, 100), ("1C", "2C1A"), ("PD", "PPS", "QC"), True),
    ("绿联", "UGREEN", "氮化镓快充", (20, 30, 65, 100), ("1C", "2C1A"), ("PD", "PPS", "QC", "SCP"), True),
    ("倍思", "Baseus", "GaN5 Pro", (30, 65, 100), ("2C", "2C1A"), ("PD", "PPS", "QC", "SCP"), True),
    ("小米", "Xiaomi", "澎湃秒充", (33, 67, 120), ("1A", "1A1C"), ("MI_TURBO", "PD", "QC"), True),
    ("华为", "HUAWEI", "超级快充", (40, 66, 88), ("1A", "1A1C"), ("SCP", "PD"), False),
    ("OPPO", "OPPO", "SUPERVOOC超级闪充", (65, 80, 100), ("1A", "1A1C"), ("VOOC", "PD", "PPS"), True),
    ("vivo", "vivo", "FlashCharge闪充", (44, 80, 120), ("1A",), ("FLASHCHARGE", "PD"), False),
    ("荣耀", "HONOR", "超级快充", (40, 66, 100), ("1A", "1A1C"), ("HONOR_SC", "SCP", "PD"), False),
    ("苹果", "Apple", "USB-C 电源适配器", (20, 35, 70), ("1C", "2C"), ("PD",), False),
    ("公牛", "BULL", "GaN氮化镓充电器", (20, 33, 65), ("1C", "1A1C", "2C1A"), ("PD", "PPS", "QC"), True),
    ("酷态科", "CukTech", "氮化镓充电器", (30, 65, 140), ("1C", "2C1A"), ("PD", "PPS", "QC", "MI_TURBO"), True),
    ("品胜", "PISEN", "快充充电器", (20, 30, 45), ("1C", "1A1C"), ("PD", "QC"), False),
)

#: What a protocol is called in a listing.
PROTOCOL_NAMES: dict[str, str] = {
    "PD": "PD快充",
    "PPS": "PPS",
    "QC": "QC3.0",
    "SCP": "华为SCP超级快充",
    "MI_TURBO": "小米澎湃秒充",
    "VOOC": "SUPERVOOC闪充",
    "FLASHCHARGE": "vivo闪充",
    "HONOR_SC": "荣耀超级快充",
}

# ---------------------------------------------------------------------------------------------
# Home EV charging piles: (brand, brand_en, series, power kW, phase, features)
PILE_LINES: tuple[tuple, ...] = (
    ("公牛", "BULL", "家用交流充电桩", (7, 11), ("即插即充", "APP远程控制", "预约充电", "IP55防水")),
    ("特来电", "TELD", "家用智能充电桩", (7, 11, 21), ("刷卡启动", "APP远程控制", "IP54防水", "漏电保护")),
    ("星星充电", "Star Charge", "小绿桩", (7, 11), ("即插即充", "蓝牙启动", "IP65防水", "预约充电")),
    ("普诺得", "PRTDT", "家用充电桩", (7, 11), ("即插即充", "刷卡启动", "IP55防水")),
    ("挚达", "Zhida", "家用充电桩", (7, 21), ("APP远程控制", "蓝牙启动", "IP65防水", "漏电保护")),
    ("绿能", "Lvneng", "壁挂式充电桩", (7,), ("即插即充", "IP54防水", "过压保护")),
)

# ---------------------------------------------------------------------------------------------
# Laptop models: (id, brand, series, model, aliases, memory type, slots, max GB, max MHz,
# M.2 slots, PCIe gen, SATA bay, USB-C PD charging, min charger W, configs (cpu, ram, ssd, price))
LAPTOP_MODELS: tuple[tuple, ...] = (
    ("L01", "联想", "ThinkPad", "T14 Gen 4", ("T14", "ThinkPad T14"), "DDR5", 1, 40, 5200, 1, 4, False, True, 65,
     (("i5-1340P", 16, 512, 6999), ("i7-1360P", 32, 1000, 8999))),
    ("L02", "联想", "ThinkPad", "X1 Carbon Gen 11", ("X1 Carbon", "X1C"), "LPDDR5", 0, 32, 6000, 1, 4, False, True, 65,
     (("i7-1365U", 32, 1000, 12999),)),
    ("L03", "联想", "ThinkPad", "E14 Gen 5", ("E14", "ThinkPad E14"), "DDR5", 1, 40, 5200, 2, 4, False, True, 65,
     (("i5-1335U", 16, 512, 4999), ("i7-1355U", 16, 1000, 5299))),
    ("L04", "联想", "小新", "Pro 14 2023", ("小新Pro14", "小新Pro 14"), "LPDDR5", 0, 32, 6400, 1, 4, False, True, 100,
     (("i5-13500H", 16, 1000, 5499), ("R7-7840HS", 32, 1000, 6299))),
    ("L05", "联想", "拯救者", "Y9000P 2023", ("Y9000P", "拯救者Y9000P"), "DDR5", 2, 32, 5600, 2, 4, False, True, 140,
     (("i9-13900HX", 16, 1000, 9999), ("i9-13900HX", 32, 1000, 10999))),
    ("L06", "华为", "MateBook", "14 2024", ("MateBook 14", "华为MateBook14"), "LPDDR5", 0, 32, 7467, 1, 4, False, True, 65,
     (("Ultra5-125H", 16, 1000, 6999),)),
    ("L07", "小米", "RedmiBook", "Pro 15 2023", ("RedmiBook Pro 15", "红米Pro15"), "LPDDR5", 0, 16, 6400, 1, 4, False, True, 100,
     (("R7-7840HS", 16, 512, 4999),)),
    ("L08", "戴尔", "灵越", "15 3520", ("灵越15", "Inspiron 15 3520", "灵越3520"), "DDR4", 2, 16, 2666, 1, 3, True, False, 65,
     (("i5-1235U", 8, 512, 3999), ("i7-1255U", 16, 512, 4799))),
    ("L09", "惠普", "战66", "六代 14英寸", ("战66", "战66六代"), "DDR4", 2, 64, 3200, 1, 4, False, True, 65,
     (("i5-1340P", 16, 512, 4599), ("R7-7730U", 16, 1000, 4999))),
    ("L10", "惠普", "暗影精灵", "10", ("暗影精灵10", "光影精灵"), "DDR5", 2, 32, 5600, 2, 4, False, False, 230,
     (("i7-14650HX", 16, 1000, 8499),)),
    ("L11", "华硕", "天选", "5 Pro", ("天选5", "天选5 Pro"), "DDR5", 2, 32, 5600, 2, 4, False, True, 100,
     (("i7-13650HX", 16, 1000, 7999), ("i9-14900HX", 32, 1000, 9499))),
    ("L12", "华硕", "无畏", "Pro15 2023", ("无畏Pro15", "无畏Pro 15"), "LPDDR5", 0, 16, 6400, 1, 4, False, True, 90,
     (("R7-7840H", 16, 1000, 5999),)),
    ("L13", "宏碁", "暗影骑士", "擎", ("暗影骑士擎", "宏碁擎"), "DDR5", 2, 32, 4800, 2, 4, False, False, 230,
     (("i7-12650H", 16, 512, 6499),)),
    ("L14", "苹果", "MacBook Air", "13英寸 M3", ("MacBook Air", "Air M3", "苹果笔记本"), "UNIFIED", 0, 24, 6400, 0, 0, False, True, 30,
     (("M3", 16, 512, 9499),)),
    ("L15", "机械革命", "蛟龙", "16 Pro", ("蛟龙16", "蛟龙16 Pro"), "DDR5", 2, 32, 5600, 2, 4, False, False, 240,
     (("R9-7945HX", 16, 1000, 6999),)),
    ("L16", "神舟", "战神", "Z8", ("战神Z8", "神舟Z8"), "DDR4", 2, 64, 3200, 2, 3, True, False, 180,
     (("i7-12650H", 16, 512, 5499),)),
    ("L17", "荣耀", "MagicBook", "14 2023", ("MagicBook 14", "荣耀MagicBook14"), "LPDDR5", 0, 16, 5200, 1, 4, False, True, 90,
     (("i5-13500H", 16, 512, 4999),)),
    ("L18", "联想", "ThinkBook", "14 G6", ("ThinkBook 14", "ThinkBook14"), "DDR5", 1, 40, 5200, 2, 4, False, True, 65,
     (("i5-13500H", 16, 512, 4699), ("i7-13700H", 16, 1000, 4999))),
)

# ---------------------------------------------------------------------------------------------
# Phone models: (id, brand, series, model, aliases, fast protocol, max W, PD, configs (ram, rom,
# colour, price))
PHONE_MODELS: tuple[tuple, ...] = (
    ("P01", "华为", "Mate", "60 Pro", ("Mate60 Pro", "Mate 60 Pro", "mate60pro"), "SCP", 88, True,
     ((12, 512, "雅川青", 6999), (12, 1000, "雅丹黑", 7999))),
    ("P02", "华为", "Pura", "70", ("P70", "Pura70"), "SCP", 66, True, ((12, 256, "羽砂黑", 5499),)),
    ("P03", "华为", "nova", "12", ("nova12", "nova 12"), "SCP", 60, True, ((8, 256, "樱语白", 2999),)),
    ("P04", "小米", "小米", "14", ("小米14", "xiaomi 14"), "MI_TURBO", 90, True,
     ((12, 256, "黑色", 3999), (16, 512, "岩石青", 4599))),
    ("P05", "小米", "Redmi", "K70", ("红米K70", "K70"), "MI_TURBO", 120, True, ((12, 256, "墨羽", 2499),)),
    ("P06", "小米", "Redmi", "Note 13 Pro", ("红米Note13 Pro", "Note13 Pro"), "MI_TURBO", 67, True,
     ((8, 256, "子夜黑", 1599),)),
    ("P07", "苹果", "iPhone", "15", ("iPhone15", "苹果15"), "PD", 20, True,
     ((6, 128, "黑色", 5999), (6, 256, "粉色", 6999))),
    ("P08", "苹果", "iPhone", "15 Pro Max", ("iPhone15 Pro Max", "15PM", "苹果15Pro Max"), "PD", 27, True,
     ((8, 256, "原色钛金属", 9999),)),
    ("P09", "苹果", "iPhone", "14", ("iPhone14", "苹果14"), "PD", 20, True, ((6, 128, "午夜色", 4999),)),
    ("P10", "OPPO", "Find", "X7", ("FindX7", "Find X7"), "VOOC", 100, True, ((12, 256, "大漠银月", 3999),)),
    ("P11", "OPPO", "OPPO", "Reno11", ("Reno11", "Reno 11"), "VOOC", 67, True, ((12, 256, "萤石青", 2499),)),
    ("P12", "vivo", "vivo", "X100", ("vivoX100", "X100"), "FLASHCHARGE", 120, True, ((12, 256, "星迹蓝", 3999),)),
    ("P13", "vivo", "vivo", "S18", ("vivoS18", "S18"), "FLASHCHARGE", 80, True, ((12, 256, "花似锦", 2699),)),
    ("P14", "荣耀", "荣耀", "Magic6", ("Magic6", "荣耀Magic6"), "HONOR_SC", 66, True, ((12, 256, "绒黑色", 4399),)),
    ("P15", "荣耀", "荣耀", "90", ("荣耀90", "honor90"), "HONOR_SC", 66, True, ((12, 256, "冰川绿", 2299),)),
    ("P16", "一加", "一加", "12", ("一加12", "OnePlus 12"), "VOOC", 100, True, ((16, 512, "岩黑", 4799),)),
    ("P17", "三星", "Galaxy", "S24", ("S24", "三星S24", "盖乐世S24"), "PPS", 25, True, ((8, 256, "雅岩黑", 5999),)),
)
