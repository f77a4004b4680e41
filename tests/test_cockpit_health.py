"""Issue 22: the cockpit's relationship panels flag the distributors with relationships one by one and read the
others (most of a large network, all flagged alike by their contract's strength) from the database: the first in
the panel's order and how many. Property: the panel and the channel manager's attention equal what the full
relationship-health overview (network/relationship_selectors.py, every distributor flagged in Python) gives."""

import datetime
import itertools

from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keychannel.core.cockpit import PANEL_LIMIT, one_build
from keychannel.network import cockpit_selectors as cockpit
from keychannel.network.choices import ContractStrength, PersonLevel, RelationshipLevel
from keychannel.network.models import Distributor, DistributorPerson, Relationship
from keychannel.network.relationship_selectors import SEVERITY_ORDER, relationship_health_overview
from keychannel.network.tests.factories import DistributorFactory

_names = itertools.count()
relationship = st.tuples(st.sampled_from(list(PersonLevel)), st.sampled_from(list(RelationshipLevel)),
                         st.one_of(st.none(), st.integers(min_value=0, max_value=400)), st.booleans(), st.booleans())
distributor = st.tuples(st.sampled_from(list(ContractStrength)), st.booleans(), st.booleans(),
                        st.lists(relationship, max_size=3))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(distributors=st.lists(distributor, max_size=12))
def test_the_relationship_panels_equal_the_full_overview(world, distributors):
    today = timezone.localdate()
    Distributor.objects.filter(code__startswith="h").delete()
    manager = world.user("channel_manager")
    for strength, active, managed, relationships in distributors:
        d = DistributorFactory(code=f"h{next(_names):05d}", contract_strength=strength, active=active,
                               territory=world.territory, channel_manager=manager if managed else None)
        for level, ours, days, active_rel, person_active in relationships:
            person = DistributorPerson.objects.create(distributor=d, full_name=f"P{next(_names)}", level=level,
                                                      active=person_active)
            Relationship.objects.create(person=person, manufacturer_user=world.user("program_manager"),
                                        manufacturer_level=ours, active=active_rel, strength=3,
                                        last_interaction=None if days is None else today - datetime.timedelta(days))
    for role in ("program_manager", "executive", "channel_manager"):
        principal = world.principal(role)
        overview = [r for r in relationship_health_overview(principal=principal, on_date=today, light=True)
                    if r["flags"]]
        with one_build():
            panel = cockpit.relationship_flags(principal, today)
        assert [i.label for i in panel.items] == [r["distributor"].legal_name for r in overview[:PANEL_LIMIT]], role
        assert [i.badge for i in panel.items] == [
            min(r["flags"], key=lambda f: SEVERITY_ORDER[f.severity]).get_severity_display()
            for r in overview[:PANEL_LIMIT]], role
        assert [i.detail for i in panel.items] == [" ".join(str(f.message) for f in r["flags"])
                                                   for r in overview[:PANEL_LIMIT]], role
        assert (panel.total or len(panel.items)) == len(overview), role
        expected = {r["distributor"].pk: n for r in overview
                    if (n := sum(1 for f in r["flags"] if f.code in cockpit.STALE_CODES))}
        fresh = world.principal(role)  # (the overview above is not kept for this one)
        # What attention_for is given: active distributors the principal sees (core/cockpit.py).
        ids = set(Distributor.objects.visible_to(fresh).filter(active=True).values_list("pk", flat=True))
        assert cockpit.attention_stale_relationships(fresh, ids, today) == expected, role


def test_past_eight_distributors_without_relationships_the_weak_contracts_come_first(world):
    # Nobody-here is medium on a strong contract and high on a weak one: the weak ones listed last by code lead.
    today = timezone.localdate()
    for n in range(PANEL_LIMIT + 2):
        DistributorFactory(code=f"h{n:03d}", contract_strength=ContractStrength.STRONG, territory=world.territory)
    weak = [DistributorFactory(code=f"z{n:03d}", contract_strength=ContractStrength.WEAK, territory=world.territory)
            for n in range(2)]
    principal = world.principal("program_manager")
    overview = [r for r in relationship_health_overview(principal=principal, on_date=today, light=True) if r["flags"]]
    with one_build():
        panel = cockpit.relationship_flags(principal, today)
    assert {d.legal_name for d in weak} <= {i.label for i in panel.items}
    assert [i.label for i in panel.items] == [r["distributor"].legal_name for r in overview[:PANEL_LIMIT]]
    assert panel.total == len(overview)
