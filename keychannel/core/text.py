"""Characters no text field may hold: NUL (PostgreSQL refuses it in text and jsonb) and lone surrogates
(half of a UTF-16 pair, which cannot be encoded as UTF-8, so neither database driver can send it)."""

import re

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
