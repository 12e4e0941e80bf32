"""Chinese postal addresses in free text, for PII redaction.

A Chinese address is a chain of units written without spaces, largest first:
province, city, district or county, town, road, estate, then numbers (号, 弄, 栋,
单元, 室). Place names on their own are ordinary review text ("北京发货很快",
"物流到了杭州", "酒店在人民路"), so a chain is an address only when it narrows down
to a door:

- a road or an estate followed by a number ("建国路88号", "张江路123弄4号501室",
  "科技园南区8栋");
- two administrative units and a street-level one ("浙江杭州西湖区文三路");
- a named district or county and a road ("浦东新区张江路");
- anything after an address label and a colon ("收货地址：…").

Cities are recognised from a list (a bare "杭州" is a city only if listed); other
units by their suffix, with a name of a few characters that holds none of the
function words a sentence puts before a place ("我住在", "离", "到").
"""

from __future__ import annotations

import re

PLACEHOLDER = "[address]"

# Provincial-level divisions, with the suffix they may carry.
_PROVINCES = (
    "北京|天津|上海|重庆|河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|"
    "湖北|湖南|广东|海南|四川|贵州|云南|陕西|甘肃|青海|台湾|内蒙古|广西|西藏|宁夏|新疆|"
    "香港|澳门"
)
_PROVINCE_SUFFIX = "省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区"
# Prefecture-level cities a buyer is likely to write without "市": provincial capitals,
# sub-provincial cities and the large prefecture cities of the eastern provinces.
_CITIES = (
    "石家庄|唐山|保定|廊坊|秦皇岛|邯郸|太原|大同|呼和浩特|包头|沈阳|大连|鞍山|长春|吉林|"
    "哈尔滨|大庆|南京|苏州|无锡|常州|南通|徐州|扬州|镇江|盐城|泰州|连云港|淮安|宿迁|杭州|"
    "宁波|温州|嘉兴|湖州|绍兴|金华|台州|丽水|衢州|舟山|义乌|合肥|芜湖|蚌埠|安庆|福州|厦门|"
    "泉州|漳州|莆田|南昌|赣州|九江|济南|青岛|烟台|潍坊|淄博|威海|临沂|济宁|郑州|洛阳|开封|"
    "武汉|宜昌|襄阳|长沙|株洲|湘潭|岳阳|广州|深圳|珠海|佛山|东莞|中山|惠州|汕头|江门|湛江|"
    "海口|三亚|南宁|桂林|柳州|北海|成都|绵阳|贵阳|遵义|昆明|大理|丽江|拉萨|西安|咸阳|兰州|"
    "西宁|银川|乌鲁木齐|昆山|常熟|张家港|江阴|宜兴|慈溪|余姚"
)
# Characters a sentence puts around a place name but that no place name here starts with
# or contains: a unit's name is made of the others, so "我住在浦东新区" yields "浦东新区".
_STOP = (
    "的了在是我你他她它们与及或从到往向于把被让给对为就也都还很太更最没不这那哪个些吗呢吧"
    "啊哦呀着过去来住近离靠旁边附说想要会能可以得再又才只但而且如果因所等家里有面处"
)
_NAME = rf"(?:(?![{_STOP}])[\u4e00-\u9fff])"
# Below the city, a unit's name holds no larger unit's suffix: "杭州西湖区文三路" is a
# district and a road, not one long road.
_LOCAL = rf"(?:(?![{_STOP}省市区县旗镇乡])[\u4e00-\u9fff])"
_NUMERAL = r"(?:\d+|[一二三四五六七八九十百零〇两]+)"
# Words ending in 区/县/镇/村/苑/园 that are not a named place: "市区", "小区", "景区".
_NOT_DISTRICT = (
    r"(?!(?:市|城|景|小|郊|地|园|社|校|商|山|片|灾|厂|营业|服务|风景|旅游|游览|生活|休闲|"
    r"商业|核心|开发|停车|吸烟|无烟|儿童|游泳|温泉|度假|老城|新城|主城|闹市|繁华|居民)区)"
)

# "骆克道" (Hong Kong), but not "知道", "味道", "通道", "隧道" or the town unit "街道".
_DAO = r"(?<![知味通过走隧频难轨车人跑赛街大管渠水河坡弯岔栈古])道"

_UNITS = [
    ("province", rf"(?:{_PROVINCES})(?:{_PROVINCE_SUFFIX})?"),
    ("city", rf"(?:{_CITIES})市?|{_NAME}{{2,5}}?(?:自治州|地区|盟)"),
    (
        "district",
        rf"市[东西南北中]区|{_NOT_DISTRICT}{_LOCAL}{{1,5}}?(?:新区|区|县|旗|市)(?!场|政|中心|内|外|里)",
    ),
    # Towns are often named after a market ("柳市镇").
    ("town", rf"(?:(?![{_STOP}省区县旗镇乡])[\u4e00-\u9fff]){{1,4}}?(?:镇|乡|街道)(?!上|里|中心)"),
    (
        "road",
        rf"(?:{_LOCAL}|\d){{1,7}}?(?:大道|大街|路|街|巷|胡同|弄|{_DAO})"
        rf"(?:[东西南北中]段|{_NUMERAL}段|[东西南北中](?={_NUMERAL}号))?(?!口|边|上|旁|对面|附近|线|费)",
    ),
    (
        "estate",
        rf"{_LOCAL}{{2,8}}?(?:小区|花园|公寓|大厦|广场|家园|新村|公馆|新城|园区|科技园|"
        r"[东西南北]区|苑|里)",
    ),
    (
        "number",
        rf"(?:{_NUMERAL}|[A-Za-z])(?:号院|号楼|号(?!线|航站|房|桌|床|门|入住|晚|上午|下午|早|到|离)|"
        r"弄|栋|幢|座|单元|室|层|楼(?![下上道梯层])|户)(?:\d{1,5}(?:室)?(?![\d号栋幢座单元室层楼弄]))?",
    ),
]
_UNIT = re.compile("|".join(f"(?P<{kind}>{pattern})" for kind, pattern in _UNITS))
_BY_KIND = [(kind, re.compile(pattern)) for kind, pattern in _UNITS]
_GAP = re.compile(r"[ \u3000]?")
# "收货地址：…": after a label and a colon, the value up to the end of the clause is an
# address whatever its form. Without a colon ("我也留了地址") it is a word in a sentence.
_LABEL = re.compile(
    r"(?:收货|收件|送货|寄送|邮寄|联系|家庭|公司|详细|通讯|居住|单位|家)?(?:地址|住址)"
    r"\s*(?:是|为)?\s*[:：]\s*(?P<value>[^，,。；;！!？?\n\[]{2,80})"
)
_STREET = {"road", "estate", "town"}
_ADMIN = {"province", "city", "district"}
# A number that names a door, not a floor or a bus line: what an estate must be followed by.
_DOOR = re.compile(r"(?:号院|号楼|号|弄|栋|幢|座|单元|室)")
# What every accepted chain holds, looked for before the costly unit scan: a number after
# a road or an estate, or a road with an administrative name shortly before it.
_NUMBERED = re.compile(
    r"[路街巷弄道同区园厦场苑里城馆寓]\s?(?:\d|[一二三四五六七八九十百零〇两A-Za-z]+[号弄栋幢座单室])"
)
_ROAD_END = re.compile(rf"[路街巷弄]|大道|胡同|{_DAO}")
ROAD_REACH = 16  # characters before a road in which its district or city is looked for
CHAIN_REACH = 48  # characters before such a road or number in which its chain may start
_ADMIN_SUFFIX = frozenset("省市区县旗镇乡")
# Every province and listed city starts with one of these two-character prefixes (a set
# lookup per character is far cheaper than a regex alternation of 150 names).
_ADMIN_PREFIXES = frozenset(name[:2] for name in (_PROVINCES + "|" + _CITIES).split("|"))


def _admin_before(text: str, end: int) -> bool:
    start = max(0, end - ROAD_REACH)
    window = text[start:end]
    if not _ADMIN_SUFFIX.isdisjoint(window):
        return True
    return any(window[i : i + 2] in _ADMIN_PREFIXES for i in range(len(window) - 1))


def _windows(text: str) -> list[tuple[int, int]]:
    """Stretches of ``text`` an accepted chain must lie in: around each number after a road
    or an estate, and each road with an administrative name shortly before it."""
    hits = [m.start() for m in _NUMBERED.finditer(text)]
    hits += [m.start() for m in _ROAD_END.finditer(text) if _admin_before(text, m.start())]
    windows: list[tuple[int, int]] = []
    for hit in sorted(hits):
        start, end = max(0, hit - CHAIN_REACH), hit + 1
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return windows


def _unit_at(text: str, pos: int) -> tuple[str, int, int] | None:
    """The longest unit starting at ``pos``: "中山路" is a road, not the city 中山."""
    best = None
    for kind, pattern in _BY_KIND:
        match = pattern.match(text, pos)
        if match and (best is None or match.end() > best[2]):
            best = (kind, pos, match.end())
    return best


def _chain(text: str, start: int) -> list[tuple[str, int, int]]:
    """The units that follow one another from ``start`` (a space between two allowed)."""
    units: list[tuple[str, int, int]] = []
    pos = start
    while True:
        unit = _unit_at(text, pos)
        if unit is None:
            return units
        units.append(unit)
        pos = unit[2]
        gap = _GAP.match(text, pos)
        if gap.end() > pos and _UNIT.match(text, gap.end()):
            pos = gap.end()


def _is_address(units: list[tuple[str, int, int]], text: str) -> bool:
    kinds = [k for k, _, _ in units]
    for (kind, _, _), (after, s, e) in zip(units, units[1:], strict=False):
        if kind == "road" and after == "number":
            return True
        if kind == "estate" and after == "number" and _DOOR.search(text, s, e):
            return True
    admin = [k for k in kinds if k in _ADMIN]
    street = any(k in _STREET for k in kinds)
    if len(admin) >= 2 and (street or "number" in kinds):
        return True
    # One named district before a road: "浦东新区张江路" (three characters or more,
    # so "城区", already excluded, or a one-character name is not enough).
    return any(
        k == "district" and e - s >= 3 and after == "road"
        for (k, s, e), (after, _, _) in zip(units, units[1:], strict=False)
    )


def address_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each Chinese address in ``text``, in order, not overlapping."""
    spans = [m.span("value") for m in _LABEL.finditer(text)] if "址" in text else []
    pos = 0
    for start, end in _windows(text):
        # Chains start inside the window and may run past its end.
        pos = max(pos, start)
        while match := _UNIT.search(text, pos, end):
            units = _chain(text, match.start())
            if len(units) >= 2 and _is_address(units, text):
                spans.append((match.start(), units[-1][2]))
                pos = units[-1][2]
            else:
                pos = match.start() + 1
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def redact_addresses(text: str) -> str:
    """``text`` with each Chinese address replaced by [address]."""
    out, last = [], 0
    for s, e in address_spans(text):
        out += [text[last:s], PLACEHOLDER]
        last = e
    return "".join(out) + text[last:] if out else text
