"""Chinese names for the demo catalogue: categories, product kinds, features, titles.

Categories are Chinese because that is what a seller on Taobao, Tmall or JD sees
in the back office and exports: the category tree is Chinese, while brands often
stay Latin ("Aurora Pulse 主动降噪耳机"). English aliases for categories belong in
the shop's alias table, not in its data.

Titles follow the platforms' keyword style: brand and model, the product kind,
then selling points separated by spaces, no commas.
"""

from __future__ import annotations

import random

from assistant.demo.catalog import CATEGORIES, DEFECTS, EXTRA_PRODUCTS, Product

CURRENCY = "CNY"

CATEGORY_ZH = {
    "Headphones": "耳机",
    "Running Shoes": "跑鞋",
    "Kitchen": "厨房用品",
    "Home": "家居",
    "Beauty": "美妆个护",
    "Books": "图书",
    "Toys": "玩具",
    "Outdoor": "户外",
    "Electronics": "数码",
    "Pet Supplies": "宠物用品",
}

KIND_ZH = {
    # Headphones
    "Wireless Headphones": "无线蓝牙耳机",
    "Noise Cancelling Headphones": "主动降噪耳机",
    "True Wireless Earbuds": "真无线蓝牙耳机",
    "Over-Ear Headphones": "头戴式耳机",
    "Sport Earbuds": "运动耳机",
    "Gaming Headset": "电竞游戏耳机",
    "On-Ear Headphones": "贴耳式耳机",
    # Running Shoes
    "Road Running Shoes": "公路跑鞋",
    "Trail Running Shoes": "越野跑鞋",
    "Racing Flats": "竞速跑鞋",
    "Cushioned Running Shoes": "缓震跑鞋",
    "Stability Running Shoes": "稳定支撑跑鞋",
    # Kitchen
    "Electric Kettle": "电热水壶",
    "Chef's Knife": "主厨刀",
    "Blender": "破壁料理机",
    "Non-Stick Frying Pan": "不粘煎锅",
    "Coffee Grinder": "咖啡磨豆机",
    "Toaster": "多士炉",
    "Cast Iron Casserole": "铸铁炖锅",
    "Hand Mixer": "手持打蛋器",
    # Home
    "Bed Sheet Set": "床单四件套",
    "Throw Blanket": "沙发毯",
    "Table Lamp": "台灯",
    "Storage Baskets": "收纳筐",
    "Scented Candle": "香薰蜡烛",
    "Bath Towel Set": "浴巾套装",
    "Wall Clock": "挂钟",
    "Cushion Covers": "抱枕套",
    # Beauty
    "Face Moisturiser": "保湿面霜",
    "Vitamin C Serum": "维C精华液",
    "Shampoo": "洗发水",
    "Lip Balm Set": "润唇膏套装",
    "Hair Dryer": "吹风机",
    "Sunscreen SPF 50": "防晒霜 SPF50",
    "Eye Cream": "眼霜",
    # Books
    "Cookbook": "家常菜谱",
    "Thriller Novel": "悬疑小说",
    "Travel Guide": "旅行指南",
    "Children's Picture Book": "儿童绘本",
    "Biography": "人物传记",
    "Fantasy Novel": "奇幻小说",
    "Self-Help Book": "心理自助读物",
    # Toys
    "Building Blocks Set": "拼装积木",
    "Wooden Train Set": "木质小火车套装",
    "Plush Bear": "毛绒小熊",
    "Remote Control Car": "遥控汽车",
    "Puzzle 1000 Pieces": "拼图 1000片",
    "Board Game": "桌游",
    # Outdoor
    "Hiking Backpack": "登山包",
    "Camping Tent": "露营帐篷",
    "Sleeping Bag": "睡袋",
    "Rain Jacket": "冲锋衣",
    "Trekking Poles": "登山杖",
    "Insulated Water Bottle": "保温水壶",
    # Electronics
    "Bluetooth Speaker": "蓝牙音箱",
    "Power Bank": "充电宝",
    "Smartwatch": "智能手表",
    "USB-C Charger": "Type-C充电器",
    "E-Reader": "电子书阅读器",
    "Action Camera": "运动相机",
    "Wireless Mouse": "无线鼠标",
    # Pet Supplies
    "Dog Bed": "狗窝",
    "Cat Scratching Post": "猫抓柱",
    "Dog Harness": "狗狗胸背带",
    "Automatic Pet Feeder": "自动喂食器",
    "Cat Litter": "猫砂",
    "Chew Toy Set": "磨牙玩具套装",
}

FEATURE_ZH = {
    "Bluetooth 5.3, 40h Playtime, Foldable": "蓝牙5.3 40小时续航 可折叠",
    "Active Noise Cancelling, USB-C Fast Charge": "主动降噪 Type-C快充",
    "with Microphone, Deep Bass, Black": "带麦克风 重低音 黑色",
    "IPX5 Sweatproof, Charging Case": "IPX5防汗 带充电仓",
    "Hi-Res Audio, Multipoint Pairing, Carry Case": "Hi-Res高解析 多设备连接 附收纳包",
    "Men's, Breathable Mesh, Size 42": "男款 透气网面 42码",
    "Women's, Lightweight, Wide Fit": "女款 轻量 宽楦",
    "Waterproof, Grippy Outsole": "防水 防滑大底",
    "Carbon Plate, Race Day": "碳板 比赛级",
    "Neutral, 8mm Drop": "中性 8mm落差",
    "1.7L, Stainless Steel, Auto Shut-Off": "1.7L 不锈钢 自动断电",
    "28cm, Induction Compatible, Dishwasher Safe": "28cm 电磁炉通用 可洗碗机",
    "1000W, 6 Speeds, BPA-Free Jar": "1000W 六档调速 不含BPA",
    "Burr Grinder, 15 Settings": "锥刀研磨 15档可调",
    "100% Cotton, King Size, Grey": "100%纯棉 1.8米床 灰色",
    "Set of 3, Natural Seagrass": "三件套 天然海草编织",
    "Soy Wax, 45h Burn Time": "大豆蜡 45小时燃烧",
    "Oeko-Tex Certified, 4 Pieces": "Oeko-Tex认证 四件套",
    "50ml, Fragrance Free, Sensitive Skin": "50ml 无香精 敏感肌可用",
    "Vegan, Cruelty Free, 30ml": "纯植物配方 30ml",
    "with Hyaluronic Acid, Travel Size": "含玻尿酸 旅行装",
    "Paperback, 352 Pages": "平装 352页",
    "Hardcover, Illustrated Edition": "精装 插图版",
    "Large Print": "大字版",
    "500 Pieces, Ages 6+": "500颗粒 6岁以上",
    "Ages 3+, FSC Wood": "3岁以上 FSC认证木材",
    "Family Edition, 2-6 Players": "家庭版 2-6人",
    "35L, Rain Cover Included": "35L 附防雨罩",
    "2-Person, 3-Season, 2.1kg": "双人 三季 2.1kg",
    "Waterproof, Packable, Men's M": "防水 可收纳 男款M码",
    "750ml, Keeps Cold 24h": "750ml 24小时保冷",
    "20000mAh, 65W PD, Slim": "20000mAh 65W快充 轻薄",
    "Waterproof IP67, 24h Playtime": "IP67防水 24小时续航",
    "GPS, Heart Rate, AMOLED": "GPS 心率监测 AMOLED屏",
    "4K 60fps, Waterproof Case": "4K 60帧 防水壳",
    "Large, Washable Cover": "大号 可拆洗",
    "No-Pull, Reflective, Size M": "防挣脱 反光 M码",
    "Clumping, 10L": "结团 10L",
}

# Books carry Chinese titles and publishers: a Chinese reader buys 《长路》, not "The Long Road".
BOOK_TITLE_ZH = {
    "The Quiet Shore": "静默的海岸",
    "Salt and Smoke": "盐与烟",
    "Northern Lights": "北方的光",
    "The Last Orchard": "最后的果园",
    "Midnight Harbour": "午夜港湾",
    "Paper Moons": "纸月亮",
    "The Long Road": "长路",
}
PUBLISHER_ZH = {
    "Harbor Press": "港湾出版社",
    "Quillstone": "石笔文化",
    "Lantern Books": "灯塔书局",
    "Bluefern": "蓝蕨图书",
}

# The planted and extra products, titled by hand like the English ones.
FIXED_TITLES = {
    DEFECTS[0].title: (
        "Aurora Pulse 无线蓝牙耳机 头戴式主动降噪 蓝牙5.3 40小时续航",
        "Aurora Pulse 耳机",
    ),
    DEFECTS[1].title: ("Stridex Tempo 3 公路跑鞋 男款 透气网面", "Stridex Tempo 3 跑鞋"),
    DEFECTS[2].title: ("Kessler Classic 电热水壶 1.7L 不锈钢 自动断电", "Kessler 电热水壶"),
    EXTRA_PRODUCTS[0][1]: ("Aurora Buds Mini 真无线蓝牙耳机 带充电仓", "Aurora Buds Mini 耳机"),
    EXTRA_PRODUCTS[1][1]: ("Aurora Go 便携蓝牙音箱 IP67防水", "Aurora Go 音箱"),
}

# How a reviewer refers to one, where Chinese names it ("这副耳机", "这双鞋").
ITEM_ZH = {"Headphones": "这副耳机", "Running Shoes": "这双鞋", "Books": "这本书"}

QUERIES_ZH = {
    "Headphones": ("无线耳机", "降噪耳机", "跑步耳机", "蓝牙耳机 长续航", "头戴式耳机", "耳机"),
    "Running Shoes": ("跑鞋", "越野跑鞋", "宽脚跑鞋", "马拉松跑鞋", "轻便运动鞋"),
    "Kitchen": ("电热水壶", "不粘锅", "磨豆机", "破壁机", "菜刀"),
    "Home": ("四件套 纯棉", "沙发毯", "台灯 护眼", "香薰蜡烛", "浴巾"),
    "Beauty": ("保湿面霜 干皮", "维C精华", "防晒霜", "吹风机"),
    "Books": ("悬疑小说", "菜谱", "旅行指南 意大利", "儿童绘本"),
    "Toys": ("积木", "家庭桌游", "遥控车", "拼图1000片"),
    "Outdoor": ("登山包", "双人帐篷", "冲锋衣", "睡袋"),
    "Electronics": ("蓝牙音箱", "充电宝", "智能手表", "Type-C充电器", "电子书阅读器"),
    "Pet Supplies": ("狗窝", "猫抓板", "狗狗胸背带", "自动喂食器"),
}

_OPENERS = (
    "{brand}{kind}，日常使用的好帮手",
    "{brand}出品的{kind}，经久耐用",
    "{brand}热销款{kind}，回购率高",
    "{brand}{kind}，设计用心，细节到位",
)
# Where the generic selling points would be wrong ("经久耐用" for a novel).
CATEGORY_OPENERS = {
    "Books": (
        "{brand}出版，{kind}，值得一读",
        "{brand}精选{kind}，口碑之作",
        "{kind}，{brand}出品",
    ),
    "Beauty": ("{brand}{kind}，温和不刺激", "{brand}明星单品{kind}", "{brand}{kind}，回购率高"),
    "Pet Supplies": (
        "{brand}{kind}，毛孩子的好伙伴",
        "{brand}热销款{kind}",
        "{brand}{kind}，安全放心",
    ),
    "Toys": ("{brand}{kind}，寓教于乐", "{brand}热销款{kind}，孩子爱玩", "{brand}{kind}，安全材质"),
}
_EXTRAS = ("支持七天无理由退换", "环保包装发货", "好评率超过98%", "正品保障，假一赔十")
# Categories sold with a warranty (电器、数码).
WARRANTY = {"Headphones", "Kitchen", "Electronics"}
# Yuan per euro of list price: books cost far less in China than in Europe.
PRICE_FACTOR = {"Books": 2.5}


def _price_cny(eur: float, factor: float = 7.5) -> float:
    """Yuan prices with the endings Chinese shops use (299, 89.9), from the euro list price."""
    cny = max(9, int(eur * factor))
    return float(cny // 10 * 10 + 9) if cny >= 100 else cny + 0.9


def _split_title(p: Product) -> tuple[str, str, str]:
    """(brand and model, kind, feature) of a generated English title."""
    head, sep, rest = p.title.partition(" " + p.kind)
    if not sep:
        raise ValueError(f"demo title {p.title!r} does not contain its kind {p.kind!r}")
    return head, p.kind, rest.removeprefix(", ")


def _book(p: Product) -> tuple[str, str]:
    model, _, rest = p.title.partition(": A ")
    feature = rest[len(p.kind) :].strip(" ()")
    name = f"《{BOOK_TITLE_ZH[model]}》"
    title = f"{name}{KIND_ZH[p.kind]}" + (f" {FEATURE_ZH[feature]}" if feature else "")
    return title, name


def titles(p: Product) -> tuple[str, str]:
    """(listing title, the short name people use) of one product, in Chinese."""
    if p.title in FIXED_TITLES:
        return FIXED_TITLES[p.title]
    if p.category == "Books":
        return _book(p)
    head, kind, feature = _split_title(p)
    short = f"{head} {KIND_ZH[kind]}"
    return (f"{short} {FEATURE_ZH[feature]}" if feature else short), short


def brand(p: Product) -> str:
    return PUBLISHER_ZH.get(p.brand, p.brand)


def describe(rng: random.Random, p: Product) -> str:
    opener = rng.choice(CATEGORY_OPENERS.get(p.category, _OPENERS))
    extras = _EXTRAS + (("整机两年质保",) if p.category in WARRANTY else ())
    return f"{opener.format(brand=brand(p), kind=KIND_ZH[p.kind])}。{rng.choice(extras)}。"


def prices(catalog: list[Product]) -> list[float]:
    return [_price_cny(p.price, PRICE_FACTOR.get(p.category, 7.5)) for p in catalog]


def check_vocabulary() -> None:
    """Every English name the catalogue can draw has its Chinese name (fails loudly, early)."""
    missing = [c.name for c in CATEGORIES if c.name not in CATEGORY_ZH or c.name not in QUERIES_ZH]
    for c in CATEGORIES:
        missing += [k for k in c.kinds if k not in KIND_ZH]
        missing += [f for f in c.features if f not in FEATURE_ZH]
        if c.name == "Books":
            missing += [m for m in c.models if m not in BOOK_TITLE_ZH]
            missing += [b for b in c.brands if b not in PUBLISHER_ZH]
    if missing:
        raise KeyError(f"the Chinese demo catalogue has no name for: {', '.join(missing)}")
