"""Customers of the Chinese demo shop: names, mobiles, emails, cities, ID numbers, addresses.

All of it is made up but shaped like the real thing, so PII detection has something
true to find: 11-digit mobiles on real carrier prefixes, 18-digit resident ID
numbers whose region code matches the city and whose check digit is valid
(GB 11643), and addresses down to the flat. ID numbers and addresses are not
customer columns (a shop export would not have them); they appear only where a
customer writes them into a review.
"""

from __future__ import annotations

import numpy as np

# Common surnames, most frequent first, with the pinyin used in email addresses.
SURNAMES = (
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"),
    ("杨", "yang"), ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"),
    ("徐", "xu"), ("孙", "sun"), ("马", "ma"), ("朱", "zhu"), ("胡", "hu"),
    ("郭", "guo"), ("何", "he"), ("林", "lin"), ("高", "gao"), ("罗", "luo"),
    ("郑", "zheng"), ("梁", "liang"), ("谢", "xie"), ("宋", "song"), ("唐", "tang"),
    ("许", "xu"), ("韩", "han"), ("冯", "feng"), ("邓", "deng"), ("曹", "cao"),
    ("彭", "peng"), ("曾", "zeng"), ("肖", "xiao"), ("田", "tian"), ("董", "dong"),
    ("潘", "pan"), ("袁", "yuan"), ("蔡", "cai"), ("蒋", "jiang"), ("余", "yu"),
    ("于", "yu"), ("杜", "du"), ("叶", "ye"), ("程", "cheng"), ("魏", "wei"),
    ("苏", "su"), ("吕", "lv"), ("丁", "ding"), ("任", "ren"), ("沈", "shen"),
)  # fmt: skip
GIVEN_NAMES = (
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"),
    ("丽", "li"), ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"),
    ("勇", "yong"), ("艳", "yan"), ("杰", "jie"), ("涛", "tao"), ("明", "ming"),
    ("超", "chao"), ("霞", "xia"), ("平", "ping"), ("刚", "gang"), ("婷", "ting"),
    ("秀英", "xiuying"), ("建华", "jianhua"), ("志强", "zhiqiang"), ("海燕", "haiyan"),
    ("晓东", "xiaodong"), ("丽娟", "lijuan"), ("子涵", "zihan"), ("浩然", "haoran"),
    ("梓萱", "zixuan"), ("一诺", "yinuo"), ("欣怡", "xinyi"), ("宇轩", "yuxuan"),
    ("雨桐", "yutong"), ("思远", "siyuan"), ("佳琪", "jiaqi"), ("俊杰", "junjie"),
    ("诗涵", "shihan"), ("博文", "bowen"), ("晨曦", "chenxi"), ("嘉怡", "jiayi"),
    ("文博", "wenbo"), ("雅琴", "yaqin"), ("国庆", "guoqing"), ("春梅", "chunmei"),
)  # fmt: skip
EMAIL_DOMAINS = ("example.com", "example.net", "example.org", "mail.example", "qq.example")
# Carrier prefixes of mainland mobiles (China Mobile, Unicom, Telecom).
MOBILE_PREFIXES = (
    "134", "135", "136", "137", "138", "139", "150", "151", "152", "157", "158", "159",
    "182", "183", "187", "188", "130", "131", "132", "155", "156", "185", "186",
    "133", "153", "177", "180", "181", "189", "199",
)  # fmt: skip

# (city, weight, province prefix of the address, districts with their ID region codes, roads)
CITIES: tuple[tuple[str, float, str, tuple[tuple[str, str], ...], tuple[str, ...]], ...] = (
    ("上海", 0.16, "上海市", (("浦东新区", "310115"), ("徐汇区", "310104"), ("静安区", "310106")),
     ("张杨路", "漕溪北路", "南京西路", "世纪大道")),
    ("北京", 0.15, "北京市", (("朝阳区", "110105"), ("海淀区", "110108"), ("东城区", "110101")),
     ("建国路", "中关村大街", "东四北大街", "望京街")),
    ("广州", 0.10, "广东省广州市", (("天河区", "440106"), ("越秀区", "440104"), ("海珠区", "440105")),
     ("天河路", "中山五路", "江南大道中", "体育西路")),
    ("深圳", 0.10, "广东省深圳市", (("南山区", "440305"), ("福田区", "440304"), ("宝安区", "440306")),
     ("科技南路", "深南大道", "福华三路", "宝安大道")),
    ("杭州", 0.09, "浙江省杭州市", (("西湖区", "330106"), ("余杭区", "330110"), ("上城区", "330102")),
     ("文三路", "文一西路", "解放路", "五常大道")),
    ("成都", 0.08, "四川省成都市", (("武侯区", "510107"), ("锦江区", "510104"), ("高新区", "510109")),
     ("人民南路", "春熙路", "天府大道", "科华北路")),
    ("南京", 0.07, "江苏省南京市", (("玄武区", "320102"), ("鼓楼区", "320106"), ("建邺区", "320105")),
     ("中山路", "北京西路", "江东中路", "珠江路")),
    ("武汉", 0.07, "湖北省武汉市", (("武昌区", "420106"), ("洪山区", "420111"), ("江汉区", "420103")),
     ("中北路", "珞喻路", "解放大道", "光谷大道")),
    ("西安", 0.06, "陕西省西安市", (("雁塔区", "610113"), ("碑林区", "610103"), ("未央区", "610112")),
     ("长安南路", "东大街", "未央路", "科技路")),
    ("重庆", 0.06, "重庆市", (("渝中区", "500103"), ("江北区", "500105"), ("渝北区", "500112")),
     ("解放碑步行街", "观音桥步行街", "金开大道", "民族路")),
    ("苏州", 0.06, "江苏省苏州市", (("姑苏区", "320508"), ("吴中区", "320506"), ("虎丘区", "320505")),
     ("人民路", "干将路", "东吴北路", "狮山路")),
)  # fmt: skip
ESTATES = (
    "阳光花园",
    "锦绣家园",
    "翠苑小区",
    "金色家园",
    "绿地公馆",
    "世纪新城",
    "幸福里",
    "滨江花园",
)
# How customers found the shop; the codes match the English shop so the two compare.
CHANNELS = (
    ("organic_search", 0.22),
    ("paid_search", 0.18),
    ("social", 0.26),
    ("email", 0.04),
    ("referral", 0.12),
    ("direct", 0.08),
    ("marketplace", 0.10),
)

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_check_digit(first17: str) -> str:
    """The 18th character of a resident ID number (ISO 7064 MOD 11-2, as GB 11643 sets out)."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError(f"an ID number starts with 17 digits, got {first17!r}")
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def make_customers(rng: np.random.Generator, n: int) -> dict[str, list]:
    """Columns name, email, phone, country, city, channel, plus id_number and address."""
    weights = np.array([c[1] for c in CITIES])
    city_idx = rng.choice(len(CITIES), size=n, p=weights / weights.sum())
    sur_w = 1.0 / np.arange(1, len(SURNAMES) + 1) ** 0.7  # a few surnames are very common
    sur = rng.choice(len(SURNAMES), size=n, p=sur_w / sur_w.sum())
    given = rng.integers(0, len(GIVEN_NAMES), n)
    email_style = rng.integers(0, 3, n)
    email_num = rng.integers(1, 9999, n)
    qq = rng.integers(10_000_000, 3_000_000_000, n)
    domain = rng.integers(0, len(EMAIL_DOMAINS), n)
    prefix = rng.integers(0, len(MOBILE_PREFIXES), n)
    mobile = rng.integers(0, 100_000_000, n)
    channel_w = np.array([c[1] for c in CHANNELS])
    channel_idx = rng.choice(len(CHANNELS), size=n, p=channel_w / channel_w.sum())
    district = rng.integers(0, 3, n)
    road = rng.integers(0, 4, n)
    house = rng.integers(1, 999, n)
    estate = rng.integers(0, len(ESTATES), n)
    flat = rng.integers(0, 10_000, n)
    birth = np.datetime64("1965-01-01") + rng.integers(0, 40 * 365, n).astype("timedelta64[D]")
    seq = rng.integers(0, 1000, n)

    cols: dict[str, list] = {
        k: []
        for k in ("name", "email", "phone", "country", "city", "channel", "id_number", "address")
    }
    used: set[str] = set()
    for i in range(n):
        s_zh, s_py = SURNAMES[sur[i]]
        g_zh, g_py = GIVEN_NAMES[given[i]]
        cols["name"].append(s_zh + g_zh)
        local = (f"{s_py}{g_py}{email_num[i]}", f"{g_py}.{s_py}", str(qq[i]))[email_style[i]]
        email = f"{local}@{EMAIL_DOMAINS[domain[i]]}"
        if email in used:
            email = f"{local}{i}@{EMAIL_DOMAINS[domain[i]]}"
        used.add(email)
        cols["email"].append(email)
        cols["phone"].append(f"{MOBILE_PREFIXES[prefix[i]]}{mobile[i]:08d}")
        city, _, province, districts, roads = CITIES[city_idx[i]]
        d_name, region = districts[district[i]]
        cols["country"].append("CN")
        cols["city"].append(city)
        cols["channel"].append(CHANNELS[channel_idx[i]][0])
        first17 = f"{region}{str(birth[i]).replace('-', '')}{seq[i]:03d}"
        cols["id_number"].append(first17 + id_check_digit(first17))
        building, unit, room = flat[i] % 30 + 1, flat[i] // 30 % 4 + 1, flat[i] % 18 * 100 + 101
        cols["address"].append(
            f"{province}{d_name}{roads[road[i]]}{house[i]}号"
            f"{ESTATES[estate[i]]}{building}栋{unit}单元{room}室"
        )
    return cols
