"""Normalisation of company names and tax ids, shared by duplicate detection, imports and the indexes.

``normalize_company_name("S.C. Ştefan & Fiii S.R.L.") == "stefan fiii"``: lower case, Romanian diacritics
in both the comma-below and the cedilla forms (ș/ş, ț/ţ) and ă/â/î folded to ASCII, punctuation removed,
dotted or spaced abbreviations joined (``S.R.L.``/``S R L`` → ``srl``) and legal forms dropped.
"""

from __future__ import annotations

import re
import unicodedata

# Legal forms and the words that only say "company" (Romanian, English, German, Russian, French, ...).
LEGAL_FORMS = frozenset(
    {
        # Romania
        "srl", "sa", "scs", "snc", "sca", "sc", "pfa", "ii", "if", "ra", "srld", "ong", "scm",
        "societatea", "societate", "comerciala",
        # English-speaking
        "llc", "ltd", "limited", "inc", "incorporated", "corp", "corporation", "plc", "llp", "lp", "co", "company",
        # German / Austrian / Swiss
        "gmbh", "ag", "kg", "ohg", "ug", "mbh", "gmbhcokg", "cokg",
        # Russian / Ukrainian / Moldovan
        "ooo", "oao", "zao", "pao", "ao", "tov",
        # French, Italian, Spanish, Dutch, Polish, Hungarian, Bulgarian
        "sarl", "sas", "sasu", "eurl", "spa", "srls", "sl", "bv", "nv", "spzoo", "zrt", "nyrt", "kft", "bt", "ood", "ead",
    }
)

_FOLD = str.maketrans(
    {
        "ș": "s", "ş": "s", "Ș": "s", "Ş": "s",
        "ț": "t", "ţ": "t", "Ț": "t", "Ţ": "t",
        "ă": "a", "Ă": "a", "â": "a", "Â": "a", "î": "i", "Î": "i",
        "&": " ", "+": " ",
    }
)
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def _fold(text: str) -> str:
    text = (text or "").translate(_FOLD)
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


def _tokens(name: str) -> list[str]:
    text = _fold(name)
    # "s.r.l." -> "srl": dots between letters join an abbreviation; other punctuation separates words.
    text = re.sub(r"(?<=\b[a-z0-9])\.(?=[a-z0-9]\b)", "", text)
    text = text.replace(".", " ")
    raw = [t for t in _NON_ALNUM.split(text) if t]
    # "S R L" / "s.r.l" written with spaces: join runs of single letters into one word.
    joined: list[str] = []
    run: list[str] = []
    for token in raw + [""]:
        if len(token) == 1 and token.isalpha():
            run.append(token)
            continue
        if run:
            joined.append("".join(run))
            run = []
        if token:
            joined.append(token)
    return joined


def normalize_company_name(name: str) -> str:
    """The name reduced to the words that identify the company (see module docstring)."""
    tokens = _tokens(name)
    kept = [t for t in tokens if t not in LEGAL_FORMS]
    if not kept:  # a name made only of legal-form words: keep them rather than return nothing
        kept = tokens
    return " ".join(kept)


def normalize_tax_id(value: str) -> str:
    """Digits only, with the ``RO`` VAT prefix (any case, spaces, dashes) stripped: ``"RO 123-45"`` → ``"12345"``."""
    text = (value or "").strip().upper()
    if text.startswith("RO"):
        text = text[2:]
    return "".join(ch for ch in text if ch.isdigit())


KEY_LENGTH = 4

# Words so common in company names that a key made from them would select thousands of candidates.
COMMON_WORDS = frozenset(
    {
        "impex", "trading", "trade", "grup", "group", "com", "comert", "prod", "productie", "serv", "service",
        "servicii", "construct", "constructii", "consult", "consulting", "distributie", "distribution",
        "international", "romania", "industrial", "industrie", "industries", "tehnic", "tehnica", "transport",
        "logistic", "logistics", "holding", "invest", "general", "market", "systems", "solutions", "tech", "prest",
        "exim", "import", "export", "si", "and", "de", "the", "agro", "auto", "metal", "energie", "plast", "farm",
        "mobila", "textile", "design", "media", "net", "soft", "data", "medical", "food", "foods",
    }
)


def name_keys(normalized: str) -> tuple[str, str]:
    """Two short blocking keys for the SQL prefilter of the duplicate check.

    Common words ("impex", "construct", …) are skipped when the name has other words. ``key1`` is the start
    of the first distinctive word, ``key2`` the start of the longest other distinctive word, so a typo in one
    word still leaves the other key to find the candidate.
    """
    words = normalized.split()
    if not words:
        return "", ""
    distinctive = [w for w in words if w not in COMMON_WORDS] or words
    key1 = distinctive[0][:KEY_LENGTH]
    rest = sorted(distinctive[1:], key=lambda w: (-len(w), w))
    key2 = rest[0][:KEY_LENGTH] if rest and len(rest[0]) >= 3 else ""
    return key1, key2
