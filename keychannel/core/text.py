"""Characters no text field may hold: NUL (PostgreSQL refuses it in text and jsonb) and lone surrogates
(half of a UTF-16 pair, which cannot be encoded as UTF-8, so neither database driver can send it)."""

import re
import unicodedata

from django.utils.translation import gettext as _

# A surrogate left in a Python str is always a lone one: a JSON "\ud83d\ude00" pair decodes to one character.
BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


def has_bad_text(value: str) -> bool:
    return BAD_TEXT.search(value) is not None


def bad_text_message(value: str) -> str:
    if "\x00" in value:
        return _("Text may not contain NUL characters.")
    return _("Text may not contain unpaired surrogate characters (U+D800 to U+DFFF).")


def printable(value: str) -> str:
    """The text with each bad character shown as U+FFFD, safe to store in an error report."""
    return BAD_TEXT.sub("\ufffd", value)


# --- folding for search ---------------------------------------------------------------------------------------------
# Romanian letters in both forms (comma below ș ț, cedilla ş ţ) and ă â î, then any other accent (NFKD). The same
# folding runs in the database as ``kc_fold(text)``: a Python function registered on every SQLite connection
# (core/apps.py) and an IMMUTABLE SQL function on PostgreSQL (core migration ``0008_search_fold``), so an index on
# ``kc_fold(column)`` serves the search.
_SEARCH_FOLD = str.maketrans({"ș": "s", "ş": "s", "Ș": "s", "Ş": "s", "ț": "t", "ţ": "t", "Ț": "t", "Ţ": "t",
                              "ă": "a", "Ă": "a", "â": "a", "Â": "a", "î": "i", "Î": "i"})
_NOT_WORD = re.compile(r"[\W_]+")


def fold(value) -> str:
    """Lower case, diacritics removed, every run of non-letters and non-digits one space:
    ``fold("Tehnoplast Braşov S.R.L.") == "tehnoplast brasov s r l"``."""
    text = str(value or "").translate(_SEARCH_FOLD)
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return _NOT_WORD.sub(" ", text.lower()).strip()


def register_sqlite_fold(sender, connection, **kwargs) -> None:
    """``kc_fold(text)`` on every new SQLite connection (``connection_created``); PostgreSQL has it as SQL."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("kc_fold", 1, lambda value: None if value is None else fold(value),
                                              deterministic=True)
