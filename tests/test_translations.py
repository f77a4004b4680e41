"""The Romanian and Russian catalogs are complete, and a new English string cannot land untranslated.

(a) no catalog entry is untranslated or fuzzy; (b) extracting the strings again (scripts/i18n.py's makemessages
options, into a copy of the sources) adds no msgid the committed catalog lacks; (c) each translation keeps its
msgid's placeholders (python-format and brace-format), checked with polib and, where installed, msgfmt --check.
Then a page rendered in Romanian shows Romanian words and Romanian money. docs/i18n.md explains the workflow.
"""

import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import i18n  # noqa: E402  (scripts/i18n.py: the languages, the catalogs and the extraction options)

PLACEHOLDER = re.compile(r"%\((\w+)\)[sdifr]|%[sdifr]|\{\w*\}")


def _catalog(lang):
    return polib.pofile(str(i18n.catalog_path(lang)))


def _show(keys, limit=25):
    keys = sorted(keys)
    more = f"\n… and {len(keys) - limit} more" if len(keys) > limit else ""
    return "\n".join(repr(k) for k in keys[:limit]) + more


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_entry_is_translated_and_none_is_fuzzy(lang):
    todo = [i18n.key_of(e) for e in _catalog(lang) if not e.obsolete and not i18n.is_done(e)]
    assert not todo, (f"{lang}: {len(todo)} untranslated or fuzzy entries (python scripts/i18n.py untranslated {lang}):\n"
                      + _show(todo))


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="makemessages needs gettext's xgettext (.ci/run installs it)")
def test_extraction_adds_no_string_the_catalogs_lack(tmp_path):
    extracted = i18n.extract_copy(tmp_path)
    for lang in i18n.LANGUAGES:
        committed = {i18n.key_of(e) for e in _catalog(lang) if not e.obsolete}
        fresh = {i18n.key_of(e) for e in polib.pofile(str(extracted / lang / "LC_MESSAGES" / "django.po"))
                 if not e.obsolete}
        new = fresh - committed
        assert not new, (f"{lang}: {len(new)} strings in the code are not in the catalog: run "
                         f"`python scripts/i18n.py extract` and translate them:\n" + _show(new))


def _tokens(text):
    return sorted(m.group(0) for m in PLACEHOLDER.finditer(text or ""))


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_translations_keep_their_placeholders(lang):
    wrong = []
    for entry in _catalog(lang):
        if entry.obsolete or not i18n.is_done(entry):
            continue
        if entry.msgid_plural:
            wanted = set(_tokens(entry.msgid)) | set(_tokens(entry.msgid_plural))
            for form in entry.msgstr_plural.values():
                # A plural form may leave the count out ("one deal"), never bring a name the msgid lacks.
                named = {t for t in _tokens(form) if t.startswith("%(")}
                if not named <= {t for t in wanted if t.startswith("%(")} or (set(_tokens(form)) - wanted):
                    wrong.append(i18n.key_of(entry))
        elif "python-format" in entry.flags or "python-brace-format" in entry.flags:
            if _tokens(entry.msgid) != _tokens(entry.msgstr):
                wrong.append(i18n.key_of(entry))
    assert not wrong, f"{lang}: placeholders differ from the msgid:\n" + _show(wrong)


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt is not installed")
@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_msgfmt_accepts_the_catalog(lang, tmp_path):
    result = subprocess.run(["msgfmt", "--check", "-o", str(tmp_path / "django.mo"), str(i18n.catalog_path(lang))],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.django_db
def test_a_page_in_romanian_shows_romanian_words_and_romanian_money(world, client):
    from keychannel.core.models import Membership
    from keychannel.deals.tests.factories import ClientFactory, OpportunityFactory

    catalog = {e.msgid: e.msgstr for e in _catalog("ro") if not e.msgid_plural}
    user = world.users["dist_sales"]
    Membership.objects.filter(user=user).update(language="ro")
    deal_client = ClientFactory(distributor=world.own, territory=world.territory)
    OpportunityFactory(client=deal_client, owner=user, value=Decimal("2205000.00"))
    client.force_login(user)
    page = client.get("/deals/pipeline/").content.decode()
    assert "2.205.000 RON" in page  # grouped with dots, no English comma
    for label in ("Log out", "Pipeline", "New deal"):
        romanian = catalog.get(label, "")
        assert romanian and romanian != label, f"no Romanian for {label!r}"
        assert romanian in page, f"{label!r} is not shown in Romanian ({romanian!r})"
