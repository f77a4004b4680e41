"""A distributor registering a client learns that a rule stopped it, never who serves the client: a direct
(manufacturer-led) client and another distributor's client are not told apart by the wording."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from keychannel.channel import services
from keychannel.channel.checks import describe_checks
from keychannel.channel.tests.factories import cover, make_client

pytestmark = pytest.mark.django_db


def _submit(world, user, **kw):
    return services.registration_submit(
        principal=world.principal(user), distributor=world.own, product_lines=[world.product_line],
        title="Fleet", estimated_value=Decimal("1000"), expected_close_on=timezone.localdate() + datetime.timedelta(days=30),
        **kw,
    )


@pytest.mark.parametrize("out_of_scope", [False, True])
def test_a_distributor_is_not_told_that_the_manufacturer_serves_a_client(world, out_of_scope):
    cover(world.own, world.territory, world.product_line)
    make_client(distributor=None, territory=world.territory, tax_id="44440001", out_of_scope=out_of_scope)
    with pytest.raises(ValidationError) as refused:
        _submit(world, "dist_sales", legal_name="X", tax_id="44440001")
    text = " ".join(refused.value.message_dict["client"]).lower()
    assert "already exists in the network" in text and "manufacturer" not in text and "direct" not in text
    # The manufacturer's KAM, registering on the distributor's behalf, is told the real reason.
    with pytest.raises(ValidationError) as precise:
        _submit(world, "embedded_kam", legal_name="X", tax_id="44440001")
    assert "manufacturer" in " ".join(precise.value.message_dict["client"])


def test_the_check_reasons_do_not_say_who_serves_a_similar_client():
    reasons = describe_checks([{"code": "owned_by_other"}, {"code": "similar_to_other"}, {"code": "similar_to_direct"}])
    assert reasons[1] == reasons[2]
    for reason in reasons:
        assert "manufacturer" not in reason and "another distributor" not in reason
