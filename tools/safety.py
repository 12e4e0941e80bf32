"""Text safety primitives shared by every layer that shows or embeds shop text.

PII typed into free text (emails, phone numbers, card numbers) is replaced by a
typed placeholder. The store keeps the original; everything shown, indexed or
sent to a remote model goes through :func:`redact_pii`.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
import unicodedata
from importlib import resources

import yaml

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# 13-19 digits, optionally grouped by spaces or dashes; checked with Luhn below.
CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
# International or national numbers of 7+ digits with the usual separators.
PHONE = re.compile(
    r"(?<![\w])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]?\d{2,4}){2,4}(?![\w])"
)


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


def redact_pii(text: str | None) -> str:
    """Replace emails, card numbers and phone numbers with [email], [card], [phone]."""
    if not text:
        return text or ""
    text = EMAIL.sub("[email]", text)
    text = CARD.sub(_card, text)
    return PHONE.sub(_phone, text)


def has_pii(text: str | None) -> bool:
    return bool(text) and redact_pii(text) != text


# Instruction-like text in untrusted shop text (reviews, tickets). The cues are data
# (tools/injection_cues.yaml); each flag names the trick it catches, and the names are what
# tools and answers report. Flags are reported, never obeyed.

# The tool names an attacker may ask for by name. Kept as one tuple so it can be derived
# from the tool registry instead of restated here.
TOOL_NAMES_FOR_FLAGS: tuple[str, ...] = (
    "search_reviews",
    "product_insights",
    "customer_profile",
    "find_customers",
    "segment_overview",
    "recommend_for_customer",
    "similar_products",
    "bought_together",
    "find_product",
    "sales_metrics",
)
CUES_FILE = "injection_cues.yaml"
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
                compiled[name].append(re.compile(_expand(cue, vocab, where), re.IGNORECASE))
            except re.error as exc:
                raise ValueError(f"{CUES_FILE}: {where} is not a valid pattern: {exc}") from exc
    return compiled


@functools.cache
def _cues() -> dict[str, list[re.Pattern]]:
    cues = load_cues(resources.files("tools").joinpath(CUES_FILE).read_text(encoding="utf-8"))
    names = "|".join(sorted(map(re.escape, TOOL_NAMES_FOR_FLAGS), key=len, reverse=True))
    # A tool asked for by name is a tool request even without "call the ... tool".
    cues.setdefault("tool_request", []).append(re.compile(rf"\b(?:{names})\b", re.IGNORECASE))
    return cues


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
    flags = [name for name, cues in _cues().items() if any(c.search(plain) for c in cues)]
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
    return " ".join(kept)
