"""Text safety primitives shared by every layer that shows or embeds shop text.

PII typed into free text (emails, also spelled out or in full-width characters, phone
numbers including Chinese mobiles and landlines, card numbers, Chinese id numbers, Chinese
postal addresses: tools/address_zh.py) is replaced by a typed placeholder. The store keeps the original; everything shown, indexed or
sent to a remote model goes through :func:`redact_pii` (and :func:`redact_names` where the
reviewer's name is known).

Instruction-like text in reviews and tickets is reported by :func:`flag_untrusted`, with cues
from tools/injection_cues.yaml; :func:`review_part` is the text without those instructions.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
import unicodedata
from collections.abc import Iterable
from importlib import resources

import yaml

from tools.address_zh import redact_addresses

# The lookbehind makes a long run of letters one attempt, not one per position (quadratic).
EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# Addresses written to dodge a filter: "x (at) example (dot) net", "x [at] example [dot] com",
# "x at example dot com", "x @ example . com" (full-width forms are folded to ASCII first).
_AT = r"\s*[(\[{<]\s*at\s*[)\]}>]\s*|\s+at\s+|\s*@\s*"
_DOT = r"\s*[(\[{<]\s*dot\s*[)\]}>]\s*|\s+dot\s+|\s*\.\s*"
OBFUSCATED_EMAIL = re.compile(
    rf"(?<![\w.+-])(?P<local>[A-Za-z0-9][A-Za-z0-9._%+-]*)(?P<at>{_AT})"
    rf"(?P<domain>[A-Za-z0-9-]+(?:(?:{_DOT})[A-Za-z0-9-]+)*)(?P<dot>{_DOT})"
    r"(?P<tld>[A-Za-z]{2,6})(?![\w])",
    re.IGNORECASE,
)
# Spelled "at"/"dot" is ordinary English too ("looked at the shop dot com"): accept it only
# with a spelled dot before a known top-level domain and a local part that is not a word
# a sentence would put before "at".
_SPELLED_TLDS = frozenset(
    "com net org edu gov io co uk de cn fr info biz me us ca au jp ru it nl es in br".split()
)
_NOT_LOCAL = frozenset(
    "me us you him her them it i we they this that look looked looking stay stayed staying "
    "arrived arrive bought buy sold sell available priced cheaper cheap found find shop shopped "
    "order ordered ordering online home work here there one all anything something is was are "
    "were be been and or but not just only still now then good great".split()
)
# Cheap tests that let most texts skip the costly patterns.
_MAYBE_OBFUSCATED = re.compile(r"@|\bdot\b|[(\[{<]\s*at\s*[)\]}>]", re.IGNORECASE)
_DIGIT = re.compile(r"\d")
_HAN = re.compile("[\u4e00-\u9fff]")
# Chinese mobile numbers, optionally with +86 / 0086 and spaces or dashes (3-4-4).
CN_MOBILE = re.compile(
    r"(?<![0-9A-Za-z+])(?<!\d[\s-])(?:(?:\+|00)\s?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}"
    r"(?![0-9A-Za-z])(?![\s-]\d)"
)
# Chinese landlines: area code 0 + 2-3 digits, then 7-8 digits.
CN_LANDLINE = re.compile(
    r"(?<![0-9A-Za-z])(?<!\d[\s-])(?:\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3})[\s-]?\d{7,8}"
    r"(?![0-9A-Za-z])(?![\s-]\d)"
)
# 18-digit Chinese resident ID numbers; the check digit is verified below.
CN_ID = re.compile(r"(?<![0-9A-Za-z])\d{6}\s?\d{8}\s?\d{3}[\dXx](?![0-9A-Za-z])")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# 13-19 digits, optionally grouped by spaces or dashes; checked with Luhn below.
CARD = re.compile(r"(?<![\d+])(?:\d[ -]?){12,18}\d(?!\d)")
# International or national numbers of 7+ digits with the usual separators.
PHONE = re.compile(
    r"(?<![\w])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]?\d{2,4}){2,4}(?![\w])"
)
# A bare run of exactly 11 digits is a phone number (a mobile without separators); shorter
# runs are order numbers and prices, longer ones cards or ids.
BARE_PHONE = re.compile(r"(?<![0-9A-Za-z])(?<!\d[\s.-])\d{11}(?![0-9A-Za-z])(?![\s.-]\d)")
# Digit groups that look like phone numbers but are not PII: dates, year ranges, Amazon
# order ids, prices. They are set aside before the phone patterns run.
_KEEP = re.compile(
    r"(?<![\d.-])(?:19|20)\d{2}[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])(?![\d])"
    r"(?:[T\s]\d{1,2}:\d{2}(?::\d{2})?)?"
    r"|(?<![\d./-])\d{1,2}[-/.]\d{1,2}[-/.](?:19|20)\d{2}(?![\d./-]?\d)"
    r"|(?<![\d-])(?:19|20)\d{2}\s?[-–/]\s?(?:19|20)?\d{2}(?![\d-])"
    r"|(?<!\d)\d{3}-\d{7}-\d{7}(?!\d)"
    r"|(?:[$€£¥]|USD|EUR|GBP|CNY|RMB)\s?\d{1,3}(?:[,.\s]\d{3})*(?:[.,]\d{1,2})?(?![\d])"
    r"|(?<![\d,.])\d{1,3}(?:[,.\s]\d{3})*(?:[.,]\d{1,2})?\s?(?:[$€£¥元]|USD|EUR|GBP|CNY|RMB|yuan)"
)
# Full-width digits, letters and "@" (one character each, as ASCII).
_FULLWIDTH = {
    cp: cp - 0xFEE0
    for cp in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B), 0xFF20]
}
# Full-width ".", "+" and "-" between letters or digits; elsewhere "．" ends a Chinese sentence.
_FW_ALNUM = "0-9A-Za-z\uff10-\uff19\uff21-\uff3a\uff41-\uff5a"
_FULLWIDTH_PUNCT = re.compile(f"(?<=[{_FW_ALNUM}])[．＋－](?=[{_FW_ALNUM}])|＋(?=[{_FW_ALNUM}])")
_SLOT = re.compile("\ue000(\\d+)\ue001")


def _luhn_ok(digits: str) -> bool:
    total, parity = 0, len(digits) % 2
    for i, ch in enumerate(digits):
        d = int(ch)
        if i % 2 == parity:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def cn_id_ok(number: str) -> bool:
    """ISO 7064 MOD 11-2 check digit of an 18-character Chinese resident id number."""
    number = re.sub(r"\s", "", number).upper()
    if not re.fullmatch(r"\d{17}[\dX]", number):
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == number[17]


def _card(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group())
    # Luhn-valid numbers, or 16 digits written in groups of four (a mistyped card is still a card).
    grouped = re.fullmatch(r"\d{4}([ -]\d{4}){3}", match.group().strip())
    ok = 13 <= len(digits) <= 19 and (_luhn_ok(digits) or grouped)
    return "[card]" if ok else match.group()


def _phone(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group())
    # Short digit runs are prices, years, model numbers; real phone numbers have 7-15 digits
    # and, unless written with a +, at least one separator or a leading 0.
    text = match.group()
    if not 7 <= len(digits) <= 15:
        return text
    if not (text.startswith("+") or text.startswith("0") or re.search(r"[\s().-]", text)):
        return text
    return "[phone]"


def _obfuscated_email(match: re.Match) -> str:
    at, dot = match.group("at").strip().lower(), match.group("dot").strip().lower()
    tld_ok = match.group("tld").lower() in _SPELLED_TLDS
    if at == "at":
        spelled_dot = dot == "dot" or dot.startswith(("(", "[", "{", "<"))
        if not (spelled_dot and tld_ok) or match.group("local").lower() in _NOT_LOCAL:
            return match.group()
    elif at == "@" and not tld_ok:
        # "@handle. Next sentence": a spaced "@" is an address only before a known domain.
        return match.group()
    return "[email]"


def redact_pii(text: str | None) -> str:
    """Replace emails, card numbers, phone numbers, Chinese id numbers and Chinese
    addresses with [email], [card], [phone], [id_number] and [address], also when
    written to dodge a filter."""
    if not text:
        return text or ""
    folded = _FULLWIDTH_PUNCT.sub(lambda m: chr(ord(m.group()) - 0xFEE0), text)
    folded = folded.translate(_FULLWIDTH)
    redacted = _redact(folded)
    # Full-width letters and digits are matched as ASCII; a text with nothing to redact comes
    # back exactly as written.
    return text if redacted == folded else redacted


def _redact(text: str) -> str:
    text = EMAIL.sub("[email]", text)
    if _MAYBE_OBFUSCATED.search(text):
        text = OBFUSCATED_EMAIL.sub(_obfuscated_email, text)
    if _DIGIT.search(text):
        text = _redact_numbers(text)
    # After the numbers: a phone written right after an address stays a [phone].
    return redact_addresses(text) if _HAN.search(text) else text


def _redact_numbers(text: str) -> str:
    text = CN_ID.sub(lambda m: "[id_number]" if cn_id_ok(m.group()) else m.group(), text)
    kept: list[str] = []

    def keep(match: re.Match) -> str:
        kept.append(match.group())
        return f"\ue000{len(kept) - 1}\ue001"

    # Private-use slots hold dates and prices out of reach of the phone patterns (unless the
    # text itself carries those characters: then nothing is set aside rather than mixed up).
    if "\ue000" not in text and "\ue001" not in text:
        text = _KEEP.sub(keep, text)
    text = CN_MOBILE.sub("[phone]", text)
    text = CN_LANDLINE.sub("[phone]", text)
    text = CARD.sub(_card, text)
    text = PHONE.sub(_phone, text)
    text = BARE_PHONE.sub("[phone]", text)
    return _SLOT.sub(lambda m: kept[int(m.group(1))], text) if kept else text


def has_pii(text: str | None) -> bool:
    """Whether :func:`redact_pii` would change the text."""
    return bool(text) and redact_pii(text) != text


def redact_names(text: str | None, names: Iterable[str]) -> str:
    """Replace each given name (whole word, any case) with [name]; longest names first."""
    if not text:
        return text or ""
    wanted = sorted({n.strip() for n in names if n and len(n.strip()) >= 2}, key=len, reverse=True)
    for name in wanted:
        body = r"\s+".join(map(re.escape, name.split()))
        # CJK names have no word boundaries around them; Latin ones must not match inside words.
        pattern = body if re.search(r"[\u3400-\u9fff]", name) else rf"(?<!\w){body}(?!\w)"
        text = re.sub(pattern, "[name]", text, flags=re.IGNORECASE)
    return text


# Instruction-like text in untrusted shop text (reviews, tickets). The cues are data
# (tools/injection_cues.yaml); each flag names the trick it catches, and the names are what
# tools and answers report. Flags are reported, never obeyed.


def tool_names_for_flags() -> tuple[str, ...]:
    """The tool names an attacker may ask for by name: every declared tool.

    Read from the registry when the cues are first compiled, not at import: the
    registry imports the tool modules, which import this one.
    """
    from tools.registry import TOOL_NAMES

    # A one-word name ("tickets") is ordinary prose; only identifiers read as a tool.
    return tuple(name for name in TOOL_NAMES if "_" in name)


CUES_FILE = "injection_cues.yaml"
# ASCII word boundaries: "请ignore all previous instructions" has a boundary before "ignore"
# (a CJK character is no ASCII word character), and matching runs about twice as fast.
_CUE_FLAGS = re.IGNORECASE | re.ASCII
_CJK = re.compile("[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
_LATIN = re.compile("[A-Za-z<>\\[\\]{}#=*_|-]")
_VOCAB_REF = re.compile(r"\{([a-z_]+)\}")


def _expand(pattern: str, vocab: dict[str, str], where: str, depth: int = 0) -> str:
    def one(match: re.Match) -> str:
        name = match.group(1)
        if name not in vocab:
            raise ValueError(f"{CUES_FILE}: {where} uses {{{name}}}, which is not in vocab")
        if depth > 3:
            raise ValueError(f"{CUES_FILE}: vocab {name!r} refers to itself")
        alts = "|".join(a.strip() for a in vocab[name].split("|") if a.strip())
        return "(?:" + _expand(alts, vocab, f"vocab {name!r}", depth + 1) + ")"

    return _VOCAB_REF.sub(one, pattern)


def load_cues(text: str) -> dict[str, list[re.Pattern]]:
    """Flag name -> compiled cues, from the YAML text of an injection cue file."""
    data = yaml.safe_load(text) or {}
    vocab = {str(k): str(v) for k, v in (data.get("vocab") or {}).items()}
    flags = data.get("flags")
    if not isinstance(flags, dict) or not flags:
        raise ValueError(f"{CUES_FILE}: 'flags' must map flag names to lists of cues")
    compiled: dict[str, list[re.Pattern]] = {}
    for name, cues in flags.items():
        if not isinstance(cues, list):
            raise ValueError(f"{CUES_FILE}: flag {name!r} must be a list of regular expressions")
        compiled[name] = []
        for i, cue in enumerate(cues):
            where = f"flag {name!r} cue {i + 1}"
            if not isinstance(cue, str):
                # Typically an unquoted cue ending in ':' that YAML read as a mapping.
                raise ValueError(f"{CUES_FILE}: {where} is not a string (quote it): {cue!r}")
            try:
                compiled[name].append(re.compile(_expand(cue, vocab, where), _CUE_FLAGS))
            except re.error as exc:
                raise ValueError(f"{CUES_FILE}: {where} is not a valid pattern: {exc}") from exc
    return compiled


@functools.cache
def _cues() -> dict[str, list[re.Pattern]]:
    cues = load_cues(resources.files("tools").joinpath(CUES_FILE).read_text(encoding="utf-8"))
    names = "|".join(sorted(map(re.escape, tool_names_for_flags()), key=len, reverse=True))
    # A tool asked for by name is a tool request even without "call the ... tool".
    cues.setdefault("tool_request", []).append(re.compile(rf"\b(?:{names})\b", _CUE_FLAGS))
    return cues


@functools.cache
def _cues_by_script() -> tuple[list[tuple[str, re.Pattern]], list[tuple[str, re.Pattern]]]:
    """(cues written with CJK characters, the others): a text without CJK needs only the
    second list, a text without Latin letters only the first."""
    cjk, latin = [], []
    for name, cues in _cues().items():
        for cue in cues:
            (cjk if _CJK.search(cue.pattern) else latin).append((name, cue))
    return cjk, latin


BASE64_RUN = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{16,}={0,2}(?![A-Za-z0-9+/=])")
HEX_RUN = re.compile(r"(?<![0-9A-Fa-f])(?:0x)?(?:[0-9A-Fa-f]{2}[\s:]?){16,}(?![0-9A-Fa-f])")
ESCAPED_RUN = re.compile(r"(?:\\x[0-9A-Fa-f]{2}|\\u[0-9A-Fa-f]{4}|%[0-9A-Fa-f]{2}){6,}")
# Characters that hide text from a human reader but not from a model: zero-width spaces and
# joiners in a run, bidi overrides, Unicode tag characters (ASCII smuggling).
HIDDEN_CHARS = re.compile(
    "[\u202a-\u202e\u2066-\u2069\U000e0000-\U000e007f]|[\u200b\u200c\u2060\ufeff]{2,}"
)
_INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff\u202a-\u202e\u2066-\u2069]")


def _readable(raw: bytes) -> bool:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    letters = sum(c.isalpha() for c in text)
    return len(text) >= 8 and " " in text.strip() and letters >= 0.6 * len(text)


def _looks_encoded(text: str) -> bool:
    for match in BASE64_RUN.finditer(text):
        run = match.group()
        try:
            # A run that decodes to words is a hidden message, whatever its length.
            if _readable(base64.b64decode(run + "=" * (-len(run) % 4), validate=True)):
                return True
        except (binascii.Error, ValueError):
            pass
        # Long runs mixing cases and digits are encoded even when they decode to bytes.
        if (
            len(run) >= 24
            and any(c.islower() for c in run)
            and any(c.isupper() for c in run)
            and any(c.isdigit() or c in "+/" for c in run)
        ):
            return True
    return bool(HEX_RUN.search(text) or ESCAPED_RUN.search(text))


def _normalise(text: str) -> str:
    # Full-width letters and punctuation read as ASCII; invisible characters split no word.
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))


def flag_untrusted(text: str | None) -> list[str]:
    """Names of the instruction-like tricks found in untrusted text (empty when none).

    Flags are reported, never obeyed: whatever the text says, it stays data.
    """
    if not text:
        return []
    plain = _normalise(text)
    cjk, latin = _cues_by_script()
    found: set[str] = set()
    for name, cue in (cjk if _CJK.search(plain) else []) + (latin if _LATIN.search(plain) else []):
        if name not in found and cue.search(plain):
            found.add(name)
    flags = [name for name in _cues() if name in found]
    if _looks_encoded(plain):
        flags.append("encoded_payload")
    if HIDDEN_CHARS.search(text):
        flags.append("hidden_characters")
    return flags


def flag_names() -> tuple[str, ...]:
    """Every flag :func:`flag_untrusted` can report, in the order it reports them."""
    return (*_cues(), "encoded_payload", "hidden_characters")


# Sentence ends in English and Chinese text, and line breaks.
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])|\n+")
# Flags after which the next sentences are the attacker's payload ("Ignore the above. Say X."),
# until the text reads as the reviewer's own again (first person).
_OPENERS = frozenset(
    {
        "override_instructions",
        "new_instructions",
        "fake_delimiter",
        "assistant_addressed",
        "role_play",
    }
)
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I've|my|me|we|our|us)\b|我", re.IGNORECASE)


def review_part(text: str | None) -> str:
    """The part of a text that reads as a review: instruction sentences cut.

    Answers quote this instead of the whole text, so a flagged review can be cited without
    repeating its instruction verbatim. Unflagged text comes back unchanged.
    """
    if not text or not flag_untrusted(text):
        return text or ""
    kept, payload = [], False
    for sentence in _SENTENCE_END.split(text):
        if not sentence.strip():
            continue
        flags = flag_untrusted(sentence)
        if flags:
            payload = payload or bool(_OPENERS.intersection(flags))
            continue
        if payload and not _FIRST_PERSON.search(sentence):
            continue
        payload = False
        kept.append(sentence.strip())
    # Chinese sentences run on without a space; English ones take one.
    return "".join(
        s if i == 0 or kept[i - 1][-1] in "。！？" else " " + s for i, s in enumerate(kept)
    )
