"""Property (issue 22): after any sequence of changes through the services — and the bulk writes that skip them —
the pipeline, network month and won-clients roll-ups equal a recount of the deals. Runs on SQLite and on PostgreSQL (scripts/pgtest.py)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keychannel.core.errors import ConflictError
from keychannel.core.scoping import Principal
from keychannel.deals import handover, rollups, services
from keychannel.deals.choices import OPEN_STAGES, LostReason, Origin, Stage
from keychannel.deals.models import Opportunity
from keychannel.deals.tests.factories import ClientFactory
from keychannel.network.models import Coverage

pytestmark = pytest.mark.django_db

CLOSE_DAYS = [datetime.date(2026, 1, 31), datetime.date(2026, 2, 1), datetime.date(2027, 7, 7)]
money = st.integers(min_value=0, max_value=5_000_000_00).map(lambda cents: Decimal(cents) / 100)
pick = st.integers(min_value=0, max_value=50)
operation = st.one_of(
    st.tuples(st.just("create"), st.sampled_from(["own", "other", "direct"]), money),
    st.tuples(st.just("move"), pick, st.sampled_from(Stage.values), st.sampled_from(LostReason.values)),
    st.tuples(st.just("value"), pick, money),
    st.tuples(st.just("probability"), st.sampled_from([str(s) for s in OPEN_STAGES]),
              st.integers(min_value=0, max_value=100)),
    st.tuples(st.just("hand_over"), pick),
    st.tuples(st.just("delete"), pick),
    st.tuples(st.just("bulk_value"), st.sampled_from(Stage.values), money),
    # the won clients: deals won, unwon, moved across a year's end and to another client, in bulk
    st.tuples(st.just("bulk_win"), pick, st.sampled_from([datetime.date(2025, 12, 31), datetime.date(2026, 1, 1),
                                                          datetime.date(2026, 6, 30)])),
    st.tuples(st.just("bulk_unwin"), pick),
    st.tuples(st.just("bulk_client"), pick, st.sampled_from(["own", "other"])),
    st.tuples(st.just("bulk_delete"), st.sampled_from([Stage.WON, Stage.NEGOTIATION])),
    # the network's months (deals/month_totals.py): the expected close day and a lost deal's reason, alone
    st.tuples(st.just("close_day"), pick, st.sampled_from([None, *CLOSE_DAYS])),
    st.tuples(st.just("bulk_close_day"), st.sampled_from(Stage.values), st.sampled_from([None, *CLOSE_DAYS])),
    st.tuples(st.just("bulk_reason"), pick, st.sampled_from(LostReason.values)),
)


@pytest.fixture
def network(world):
    for distributor in (world.own, world.other):
        Coverage.objects.create(distributor=distributor, territory=world.territory, product_line=world.product_line,
                                valid_from=datetime.date(2020, 1, 1))
    return {
        "world": world,
        "principal": Principal.for_user(world.user("program_manager")),
        "clients": {"own": ClientFactory(distributor=world.own, territory=world.territory),
                    "other": ClientFactory(distributor=world.other, territory=world.territory)},
    }


def _run(network, op):
    world, principal, clients = network["world"], network["principal"], network["clients"]
    deals = list(Opportunity.objects.order_by("pk"))
    kind = op[0]
    if kind == "create":
        side, value = op[1], op[2]
        client = clients["own" if side == "direct" else side]
        services.opportunity_create(principal=principal, client=client,
                                    distributor=None if side == "direct" else client.distributor,
                                    owner=world.user("program_manager"), title=f"Deal {len(deals)}", value=value,
                                    product_lines=[world.product_line])
        return
    if kind == "probability":
        services.stage_probability_set(principal=principal, stage=op[1], probability=op[2])
        return
    if kind == "bulk_value":
        Opportunity.objects.filter(stage=op[1]).update(value=op[2])
        return
    if kind == "bulk_close_day":
        Opportunity.objects.filter(stage=op[1]).update(expected_close_on=op[2])
        return
    if kind == "bulk_delete":  # one queryset delete of several deals, often one client's
        Opportunity.objects.filter(stage=op[1]).delete()
        return
    if not deals:
        return
    deal = deals[op[1] % len(deals)]
    if kind == "bulk_win":
        Opportunity.objects.filter(pk=deal.pk).update(stage=Stage.WON, probability=100, closed_on=op[2])
    elif kind == "bulk_unwin":
        Opportunity.objects.filter(pk=deal.pk, stage=Stage.WON).update(stage=Stage.NEGOTIATION, closed_on=None)
    elif kind == "close_day":
        services.opportunity_update(principal=principal, opportunity=deal, expected_close_on=op[2])
    elif kind == "bulk_reason":
        Opportunity.objects.filter(pk=deal.pk, stage=Stage.LOST).update(lost_reason_code=op[2])
    elif kind == "bulk_client":
        Opportunity.objects.filter(pk=deal.pk).update(client=clients[op[2]])
    elif kind == "move":
        services.opportunity_move(principal=principal, opportunity=deal, stage=op[2], lost_reason_code=op[3],
                                  lost_reason="Details.", gate_override_reason="Checked by the program office.",
                                  test_override_reason="Accepted on the reference plant.")
    elif kind == "value":
        services.opportunity_update(principal=principal, opportunity=deal, value=op[2])
    elif kind == "hand_over":
        project = services.opportunity_create(principal=principal, client=deal.client, distributor=None,
                                              owner=world.user("program_manager"), title="Project",
                                              origin=Origin.OUT_OF_SCOPE_PROJECT)
        handover.opportunity_hand_over(opportunity=deal, project=project, reason="Taken out of scope.")
    elif kind == "delete":
        deal.delete()


@settings(max_examples=30, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(operations=st.lists(operation, min_size=1, max_size=12))
def test_rollup_equals_a_recount_after_any_sequence_of_changes(network, operations):
    with transaction.atomic():
        for op in operations:
            try:
                with transaction.atomic():
                    _run(network, op)
            except (ValidationError, ConflictError, PermissionDenied):
                pass  # refused: nothing changed, and the roll-up neither
            assert rollups.differences() == [], op
        transaction.set_rollback(True)  # the next example starts from the same network
