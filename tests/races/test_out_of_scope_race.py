"""Two out-of-scope decisions on two conflicts of one client at the same moment (docs/rules.md, "Out of scope keeps
running business"): each decision closes the client's other conflicts, so without a common lock order they would
wait on each other's conflict rows (a deadlock on PostgreSQL). One decides, the other finds its conflict closed: 409.
"""

import pytest

from keychannel.channel.choices import ConflictStatus, Resolution
from keychannel.channel.models import Conflict
from keychannel.channel.tests.factories import make_client, make_conflict, make_registration
from keychannel.core.choices import Role
from keychannel.core.tests.factories import OrganizationFactory, make_user
from keychannel.deals.models import Opportunity
from tests.races.concurrency import fire_json, token_for
from tests.races.test_registration_race import _network

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("shared_database")]


def test_two_out_of_scope_decisions_on_one_client_one_decides_the_other_gets_409():
    territory, line, racers = _network(2)
    (own, own_user, _), (other, other_user, _) = racers
    client = make_client(distributor=own, territory=territory)
    first = make_registration(distributor=own, client=client, user=own_user, product_lines=[line])
    second = make_registration(distributor=other, client=client, user=other_user, holds_claim=False, product_lines=[line])
    conflicts = [make_conflict(registration=second, other=own, other_registration=first),
                 make_conflict(registration=second, other=own, other_registration=first)]
    maker = OrganizationFactory(kind="manufacturer")
    deciders = [make_user(Role.PROGRAM_MANAGER, maker, username=f"oos-decider-{i}") for i in range(2)]
    body = {"resolution": "out_of_scope", "note": "Strategic.", "out_of_scope_reason": "strategic_account",
            "notice_days": 30, "grace_days": 30}
    results = fire_json([("POST", f"/api/v1/conflicts/{c.pk}/resolve", token_for(d), body)
                         for c, d in zip(conflicts, deciders, strict=True)])
    assert sorted(s for s, _ in results) == [200, 409], results
    decided = Conflict.objects.filter(pk__in=[c.pk for c in conflicts])
    assert {c.status for c in decided} == {ConflictStatus.RESOLVED}
    assert {c.resolution for c in decided} == {Resolution.OUT_OF_SCOPE}
    assert sum(c.closed_by_decision_id is not None for c in decided) == 1
    assert Opportunity.objects.filter(client=client, distributor__isnull=True).count() == 1  # one project
