"""Matching spend to plan items by rules learned from earlier matches (payee -> item).

Pure functions over strings. A rule's key is payee_key() of the description it was learned from, so that the next
payment to the same payee (another date, another card, another reference) finds it.

The rules decided here (the issue is silent on them):
- A payee key is the description in upper case without what changes from one payment to the next: the bank's
  words in front ("CARD PAYMENT TO", "DD", "SO", "FPO", "BGC" ...), dates and times, card numbers ("CARD 1234",
  "XXXX1234"), amounts, runs of 4 or more digits, reference codes (a word of 6 or more characters with both
  letters and digits, or what follows "REF"), then "ON", "AT" or "REF" left dangling at the end; punctuation
  other than "&" becomes a space (an apostrophe goes: "ST JOHN'S" is "ST JOHNS"); spaces are collapsed.
  When nothing would be left, the key is the whole description in upper case with spaces collapsed.
- A rule matches when its key is the payee key, or else when it is the payee key's first words: the longest
  such rule wins ("ACME CARE" matches "ACME CARE LTD NORTH", never "ACME CAREWORKS").
- Two descriptions name the same payee (same_payee: spend typed in by hand known again on a statement) when the
  first word naming the payee in either payee key is a word of the other. That word is the first of 3 or more
  characters that is not a title (MR, MRS, MISS, MS, DR) or "THE": "Groceries from Tesco" and "CARD PAYMENT TO
  TESCO STORES" name the same payee, "Acme Care" and "BETA CARE LTD" do not.
"""

import re
from collections.abc import Mapping

MAX_PAYEE = 200  # payments.models.Transaction.payee and MatchRule.payee

# The bank's words in front of the payee, longest first so that "CARD PAYMENT TO" goes before "CARD".
_PREFIXES = sorted(
    (
        "CARD PAYMENT TO",
        "CARD PAYMENT",
        "CARD PURCHASE",
        "DEBIT CARD PAYMENT TO",
        "DEBIT CARD PAYMENT",
        "DEBIT CARD PURCHASE",
        "CONTACTLESS PAYMENT TO",
        "CONTACTLESS PAYMENT",
        "CONTACTLESS",
        "DIRECT DEBIT TO",
        "DIRECT DEBIT",
        "STANDING ORDER TO",
        "STANDING ORDER",
        "FASTER PAYMENT TO",
        "FASTER PAYMENT",
        "FASTER PAYMENTS",
        "BILL PAYMENT TO",
        "BILL PAYMENT",
        "BANK TRANSFER TO",
        "TRANSFER TO",
        "PAYMENT TO",
        "ONLINE PAYMENT TO",
        "ONLINE PAYMENT",
        "MOBILE PAYMENT TO",
        "MOBILE PAYMENT",
        "PURCHASE",
        "DD",
        "SO",
        "FPO",
        "FPI",
        "BGC",
        "BP",
        "TFR",
        "CHQ",
        "DEB",
        "CPT",
        "POS",
        "VIS",
        "VISA",
        "ATM",
        "TO",
    ),
    key=len,
    reverse=True,
)
_PREFIX = re.compile(r"^(?:" + "|".join(re.escape(prefix) for prefix in _PREFIXES) + r")\b\s*")

_MONTH = r"(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEPT?|OCT|NOV|DEC)[A-Z]*"
_REMOVE = [
    re.compile(pattern)
    for pattern in (
        r"\b\d{1,2}:\d{2}(?::\d{2})?\b",  # times
        r"\b\d{4}-\d{1,2}-\d{1,2}\b",  # 2026-04-05
        r"\b\d{1,2}[/.-]\d{1,2}(?:[/.-]\d{2,4})?\b",  # 05/04, 05/04/2026, 05-04-26, 05.04
        rf"\b\d{{1,2}}\s*{_MONTH}(?:\s*\d{{2,4}})?\b",  # 05 APR, 05APR26, 5 APRIL 2026
        r"\b(?:CARD|CD)\s*(?:NO\.?\s*)?[X*]*\d{4}\b",  # CARD 1234, CD 1234
        r"[X*]{4,}\d{2,4}\b",  # XXXX1234, ****1234
        r"£\s*\d[\d,]*(?:\.\d+)?",  # £12.50
        r"\b(?:GBP|EUR|USD)\s*\d[\d,]*(?:\.\d+)?\b",  # GBP 12.50
        r"\b\d[\d,]*\.\d{2}\s*(?:GBP|EUR|USD)?\b",  # 12.50, 12.50 GBP
        r"\bREF(?:ERENCE)?\b[:.\s#-]*\S+",  # REF INV2041, REF: 12
        r"\b(?=[A-Z]*\d)(?=\d*[A-Z])[A-Z0-9]{6,}\b",  # reference codes: INV2041A, A1B2C3
        r"\b\d{4,}\b",  # long digit runs
    )
]
_DANGLING = re.compile(r"(?:\s+(?:ON|AT|REF|VIA|-))+$")
_APOSTROPHE = re.compile(r"['\u2019`]")
_PUNCTUATION = re.compile(r"[^\w&]")


def _collapse(text: str) -> str:
    return " ".join(text.split())


def payee_key(description: str) -> str:
    """The payee in a statement's description, for learning and matching (the module's docstring says how).

    A key is its own key: the steps are taken again until they change nothing, since one step can make work for
    another ("0000_0": the underscore becomes a space only after the digits were looked at, and then "0000" is a
    run of digits of its own)."""
    whole = _collapse(description.upper())
    key = _one_pass(whole)
    for _ in range(MAX_PASSES):
        again = _one_pass(key)
        if again == key or not again:
            break
        key = again
    return (key or whole)[:MAX_PAYEE]


# Each pass only takes words away, so a key settles within a pass or two; this only bounds the loop.
MAX_PASSES = 8


def _one_pass(text: str) -> str:
    key = _collapse(_APOSTROPHE.sub("", text))
    for pattern in _REMOVE:  # each sees the text collapsed; one that finds nothing leaves it as it was
        key, found = pattern.subn(" ", key)
        if found:
            key = _collapse(key)
    key = _collapse(_PUNCTUATION.sub(" ", key.replace("_", " ").replace("*", " ").replace("£", " ")))
    while True:
        shorter = _PREFIX.sub("", key)
        shorter = _DANGLING.sub("", shorter).strip()
        if shorter == key:
            break
        key = shorter
    return key


def match_by_rules(description: str, rules: Mapping[str, str]) -> str | None:
    """The item a description's payee was matched to before: the rule for its payee key, or else the longest
    rule key that is the payee key's first words. rules: payee_key -> item key. None when no rule fits."""
    return match_by_key(payee_key(description), rules)


def match_by_key(key: str, rules: Mapping[str, str]) -> str | None:
    """match_by_rules for a payee key already worked out (key: payee_key(description)), so a caller that keeps
    the key (a statement's import, for each row's payee) does not work it out twice."""
    if key in rules:
        return rules[key]
    words = key.split(" ")
    for count in range(len(words) - 1, 0, -1):
        item = rules.get(" ".join(words[:count]))
        if item is not None:
            return item
    return None


_NOT_A_NAME = frozenset({"THE", "MR", "MRS", "MISS", "MS", "DR"})


def _naming_word(words: list[str]) -> str | None:
    return next((word for word in words if len(word) >= 3 and word not in _NOT_A_NAME), None)


def same_payee(one: str, other: str) -> bool:
    """Whether two descriptions name the same payee (the module's docstring says how)."""
    words = payee_key(one).split(" ")
    others = payee_key(other).split(" ")
    first, other_first = _naming_word(words), _naming_word(others)
    return (first is not None and first in others) or (other_first is not None and other_first in words)
