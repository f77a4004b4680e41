"""Issue 21.3, one matcher: the clients app's duplicate check, the channel's registration checks and the sales
imports' client suggestions all read ``clients.selectors.client_matches`` with one cut-off, and only the clients
service creates clients. Before, channel scored names itself at 90 (clients: 85) and created clients itself: a
name pair scoring 88.9 was a duplicate for the clients page and nothing for a registration."""

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from rapidfuzz import fuzz

from keychannel.channel import services as channel_services
from keychannel.channel.tests.factories import cover, make_client
from keychannel.clients import selectors
from keychannel.clients.matching import normalize_company_name
from keychannel.clients.models import CorporateClient
from keychannel.sales.selectors import client_suggestions

pytestmark = pytest.mark.django_db

PACKAGE = Path(selectors.__file__).resolve().parents[1]
# Between the two cut-offs that drifted apart (85 and 90).
EXISTING, LOOK_ALIKE = "Carpat Beton SRL", "Carpati Betoane SA"


def test_the_pair_scores_between_the_old_cut_offs():
    score = fuzz.token_sort_ratio(normalize_company_name(EXISTING), normalize_company_name(LOOK_ALIKE))
    assert selectors.NAME_SCORE_CUTOFF <= score < 90


def test_the_duplicate_check_the_registration_checks_and_the_import_suggestions_agree(world):
    cover(world.own, world.territory, world.product_line)
    cover(world.other, world.territory, world.product_line)
    theirs = make_client(distributor=world.other, territory=world.territory, legal_name=EXISTING, tax_id="")
    ours = make_client(distributor=world.own, territory=world.territory, legal_name="Carpat Beton Est SRL", tax_id="")
    manufacturer = world.principal("admin")
    # The clients app: the look-alike is a likely duplicate.
    check = selectors.client_find_duplicates(principal=manufacturer, legal_name=LOOK_ALIKE)
    assert theirs.pk in {c.client_id for c in check.candidates}
    # A distributor's import suggestion: its own look-alike, never the other distributor's client.
    suggested = client_suggestions(principal=world.principal("dist_head"), name=LOOK_ALIKE, tax_id="")
    assert theirs.pk not in {c.pk for c in suggested}
    assert [c.pk for c in selectors.similar_clients(legal_name=LOOK_ALIKE)] == [
        pk for pk, _s, _r in selectors.client_matches(legal_name=LOOK_ALIKE, limit=50)]
    ours.delete()
    # The channel: registering the look-alike as a new client is a "similar to another distributor's" check.
    registration = channel_services.registration_submit(
        principal=world.principal("dist_sales"), distributor=world.own, product_lines=[world.product_line],
        title="Silo", estimated_value=Decimal("1000"), expected_close_on=timezone.localdate() + datetime.timedelta(days=30),
        legal_name=LOOK_ALIKE, tax_id="", territory=world.territory)
    assert {c["code"] for c in registration.checks} == {"similar_to_other"}
    # ... and its client was made by the clients service (its analysis ran, its creator is recorded).
    created = CorporateClient.objects.get(pk=registration.client_id)
    assert created.created_by == world.user("dist_sales") and created.analysed_at is not None


def test_no_other_module_scores_names_or_creates_clients():
    """A second matcher or a second way to create a client is what drifted: only clients/ may do either."""
    fuzzy, creating = [], []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE).as_posix()
        if "/tests/" in relative or "/migrations/" in relative or relative.endswith("demo.py"):
            continue
        text = path.read_text(encoding="utf-8")
        # core/search_sqlite.py ranks the global search's hits of every type (SQLite's fallback); it decides no duplicate.
        if re.search(r"^\s*(from|import) rapidfuzz", text, re.M) and relative not in (
                "clients/duplicates.py", "core/search_sqlite.py"):
            fuzzy.append(relative)
        if re.search(r"CorporateClient\(|CorporateClient\.objects\.(create|bulk_create|get_or_create)", text) and (
                relative != "clients/services.py"):
            creating.append(relative)
    assert fuzzy == []
    assert [p for p in creating if p != "clients/models.py"] == []
