"""Chinese numerals in questions: 前五, 三个, 二十单, 两个季度, 一百二十条, 至少２０单.

``number`` reads one numeral (digits, full-width digits or Chinese up to 9999);
``counted`` rewrites the numerals that count something (before a measure word, or
after 前/后/至少/超过 …) as ASCII digits, so a reader of the question sees "前5"
and "20单". Numerals inside ordinary words (一些, 一下, 统一, 十分) are left alone:
they are not followed by a measure word.
"""

from __future__ import annotations

import re

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
           "六": 6, "七": 7, "八": 8, "九": 9}  # fmt: skip
_UNITS = {"十": 10, "百": 100, "千": 1000}
_FULL_WIDTH = str.maketrans("０１２３４５６７８９", "0123456789")

NUMERAL = r"(?:\d+|[零〇一二两三四五六七八九十百千]+)"
# Measure words a count comes before ("三个", "二十单", "五款"), and the units of a
# span ("两个季度", "三周").
MEASURE = (
    r"(?:个|款|家|种|位|名|单|笔|件|条|次|项|类|样|本|双|台|只|套|瓶|支|盒|"
    r"天|日|周|星期|月|季度|年|星|颗星)"
)
# Words a count comes after ("前五", "后三", "至少二十", "超过50").
BEFORE = r"(?:前|后|倒数|top|至少|最少|不少于|不低于|超过|多于|大于|高于|满)"
# Digits glued to letters are an id or a model number ("P0010 类似"), never a count.
_COUNTED = re.compile(
    rf"({BEFORE})\s*({NUMERAL})|(?<![A-Za-z0-9])({NUMERAL})(?=\s*{MEASURE})", re.I
)


def number(word: str) -> int:
    """'20' -> 20, '２０' -> 20, '五' -> 5, '二十' -> 20, '两' -> 2, '一百二十' -> 120,
    '二〇' -> 20; ValueError naming the word for anything else."""
    raw = word
    word = word.strip().translate(_FULL_WIDTH)
    if word.isdigit():
        return int(word)
    if not word or any(c not in _DIGITS and c not in _UNITS for c in word):
        raise ValueError(f"not a Chinese numeral: {raw!r}")
    if not any(c in _UNITS for c in word):
        # Digit by digit, as years and codes are read: "二〇二五" -> 2025.
        return int("".join(str(_DIGITS[c]) for c in word))
    total, digit, last_unit = 0, None, 10_000
    for c in word:
        if c in "零〇":
            continue  # a gap in the places: "一百零五" is 105
        if c in _DIGITS:
            if digit is not None:
                raise ValueError(f"not a Chinese numeral: {raw!r}")
            digit = _DIGITS[c]
        else:
            unit = _UNITS[c]
            if unit >= last_unit:
                raise ValueError(f"not a Chinese numeral: {raw!r}")
            total += (1 if digit is None else digit) * unit
            digit, last_unit = None, unit
    if digit is not None:
        total += digit
    return total


def counted(text: str) -> str:
    """``text`` with the numerals that count something written as ASCII digits."""
    text = text.translate(_FULL_WIDTH)

    def digits(m: re.Match) -> str:
        word = m[2] or m[3]
        try:
            return (m[1] or "") + str(number(word))
        except ValueError:
            return m[0]

    return _COUNTED.sub(digits, text)


_ZH_DIGIT = {
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
# "九折" (pay 90%), "八五折" / "8.5折" (85%), "打7折" (70%): the share paid, in tenths.
_DISCOUNT = re.compile(r"([一二两三四五六七八九1-9])(?:\.|点)?([一二三四五六七八九0-9])?\s*折")


def discount_percent(text: str) -> float | None:
    """The percent off a Chinese discount names ("九折" -> 10, "八五折" -> 15), or None."""
    m = _DISCOUNT.search(text or "")
    if not m:
        return None

    def digit(c: str) -> int:
        return _ZH_DIGIT[c] if c in _ZH_DIGIT else int(c)

    if m[1] == "1" and m[2] == "0":
        return None  # "10折" is the full price
    paid = digit(m[1]) * 10 + (digit(m[2]) if m[2] else 0)
    return float(100 - paid) if 0 < paid < 100 else None
