import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils.timezone import localdate as today  # read at the test: a run may cross midnight

from keychannel.channel import services
from keychannel.channel.choices import ConflictKind, ConflictStatus, RegistrationStatus
from keychannel.channel.models import Conflict, DealRegistration
from keychannel.channel.tests.factories import cover, make_client, make_registration
from keychannel.core.errors import ConflictError
from keychannel.core.models import Notification
from keychannel.network.tests.factories import ProductLineFactory, TerritoryFactory

pytestmark = pytest.mark.django_db



@pytest.fixture
def covered(world):
    """Both distributors cover the world's territory for the world's product line."""
    cover(world.own, world.territory, world.product_line)
    cover(world.other, world.territory, world.product_line)
    return world


def submit(world, *, user="dist_sales", distributor=None, lines=None, **kw):
    kw.setdefault("title", "Compressor fleet")
    kw.setdefault("estimated_value", Decimal("300000"))
    kw.setdefault("expected_close_on", today() + datetime.timedelta(days=45))
    principal = world.principal(user) if isinstance(user, str) else user
    return services.registration_submit(
        principal=principal, distributor=distributor or world.own,
        product_lines=lines if lines is not None else [world.product_line], **kw,
    )


def kinds(registration):
    return sorted({c["kind"] for c in registration.checks})


def test_clean_registration_passes_every_check_and_holds_the_client(covered):
    client = make_client(distributor=covered.own, territory=covered.territory)
    registration = submit(covered, client=client)
    assert registration.checks == [] and registration.holds_claim
    assert registration.status == RegistrationStatus.PENDING
    assert not Conflict.objects.exists()
    # the channel manager of the distributor hears about it
    assert Notification.objects.filter(recipient=covered.user("channel_manager")).exists()


def test_another_distributors_registration_is_a_double_registration_conflict(covered):
    client = make_client(distributor=covered.own, territory=covered.territory, tax_id="12345678")
    first = submit(covered, client=client)
    other_head = Principal_for(covered.other_users["dist_head"])
    second = submit(covered, user=other_head, distributor=covered.other, legal_name="Whatever Name SA", tax_id="RO12345678")
    assert second.client_id == client.pk  # same tax id: the same client
    assert not second.holds_claim and first.holds_claim
    assert kinds(second) == [ConflictKind.DOUBLE_REGISTRATION]
    codes = {c["code"] for c in second.checks}
    assert "registered_by_other" in codes
    conflict = Conflict.objects.get(registration=second)
    assert set(conflict.parties.values_list("distributor_id", flat=True)) == {covered.own.pk, covered.other.pk}
    # the visible reason never names the other distributor
    assert covered.own.legal_name not in conflict.reason and covered.own.code not in conflict.reason


def Principal_for(user):
    from keychannel.core.scoping import Principal

    return Principal.for_user(user)


def test_a_client_served_by_another_distributor_is_a_conflict_even_without_registration(covered):
    client = make_client(distributor=covered.other, territory=covered.territory, tax_id="55554444")
    registration = submit(covered, legal_name="Anything", tax_id="55554444")
    assert registration.client_id == client.pk and not registration.holds_claim
    assert {c["code"] for c in registration.checks} == {"owned_by_other"}


def test_fuzzy_name_match_with_another_distributors_client_is_a_conflict(covered):
    make_client(distributor=covered.other, territory=covered.territory, legal_name="Transilvania Beton Prefabricate SRL",
                tax_id="")
    registration = submit(covered, legal_name="S.C. Transilvania Beton Prefabricate S.A.", territory=covered.territory)
    assert {c["code"] for c in registration.checks} == {"similar_to_other"}
    assert registration.client.distributor_id == covered.own.pk  # a new client record in own book
    assert Conflict.objects.get(registration=registration).parties.count() == 2


def test_territory_not_covered_is_a_territory_conflict(world):
    client = make_client(distributor=world.own, territory=world.territory)
    registration = submit(world, client=client)  # no coverage at all
    assert kinds(registration) == [ConflictKind.TERRITORY]
    assert world.product_line.name in Conflict.objects.get(registration=registration).reason


def test_coverage_elsewhere_or_expired_does_not_count(world):
    elsewhere = TerritoryFactory()
    cover(world.own, elsewhere, world.product_line)
    cover(world.own, world.territory, world.product_line, valid_from=datetime.date(2020, 1, 1),
          valid_to=today() - datetime.timedelta(days=1))
    client = make_client(distributor=world.own, territory=world.territory)
    assert kinds(submit(world, client=client)) == [ConflictKind.TERRITORY]


def test_product_line_outside_the_agreement_is_a_product_range_conflict(covered):
    extra = ProductLineFactory()
    cover(covered.own, covered.territory, extra)  # covered, but not in the agreement's product range
    client = make_client(distributor=covered.own, territory=covered.territory)
    registration = submit(covered, client=client, lines=[covered.product_line, extra])
    assert kinds(registration) == [ConflictKind.PRODUCT_RANGE]
    assert [c["lines"] for c in registration.checks] == [[extra.name]]


@pytest.mark.parametrize("field", ["direct", "out_of_scope"])
def test_direct_and_out_of_scope_clients_are_refused(covered, field):
    client = make_client(distributor=None, territory=covered.territory, tax_id="99990000",
                         out_of_scope=field == "out_of_scope")
    with pytest.raises(ValidationError) as exc:
        submit(covered, legal_name="X", tax_id="99990000")
    assert "client" in exc.value.message_dict
    assert not DealRegistration.objects.exists() and client.registrations.count() == 0


def test_bad_input_is_refused_and_nothing_changes(covered):
    client = make_client(distributor=covered.own, territory=covered.territory)
    for kwargs in ({"lines": []}, {"estimated_value": Decimal("-1")},
                   {"expected_close_on": today() - datetime.timedelta(days=1)}, {"title": " "}):
        with pytest.raises(ValidationError):
            submit(covered, client=client, **kwargs)
    with pytest.raises(ValidationError):
        submit(covered, legal_name="", tax_id="")
    assert not DealRegistration.objects.exists()


def test_same_distributor_cannot_register_twice(covered):
    client = make_client(distributor=covered.own, territory=covered.territory)
    submit(covered, client=client)
    with pytest.raises(ConflictError):
        submit(covered, user="dist_head", client=client)


def test_only_the_distributor_or_its_kam_may_register(covered):
    from django.core.exceptions import PermissionDenied

    client = make_client(distributor=covered.own, territory=covered.territory)
    for role in ("program_manager", "channel_manager", "mentor", "executive"):
        with pytest.raises(PermissionDenied):
            submit(covered, user=role, client=client)
    registration = submit(covered, user="embedded_kam", client=client)
    assert registration.on_behalf


# --- decisions -------------------------------------------------------------------------------------------------


def test_approve_protects_for_the_configured_period_and_notifies(covered, settings):
    settings.KEYCHANNEL_REGISTRATION_PROTECTION_DAYS = 30
    client = make_client(distributor=covered.own, territory=covered.territory)
    registration = submit(covered, client=client)
    services.registration_approve(principal=covered.principal("channel_manager"), registration=registration)
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.APPROVED
    assert registration.protected_until == today() + datetime.timedelta(days=30)
    assert Notification.objects.filter(recipient=covered.user("dist_sales"), title__icontains="approved").exists()
    assert registration.history.count() >= 2
    # The deal starts in the distributor's pipeline, owned by who registered it.
    deal = registration.opportunity
    assert deal is not None and deal.origin == "registration" and deal.source_reference == f"registration:{registration.pk}"
    assert (deal.distributor_id, deal.client_id, deal.owner_id) == (covered.own.pk, client.pk, covered.user("dist_sales").pk)
    assert deal.value == registration.estimated_value and deal.expected_close_on == registration.expected_close_on
    assert set(deal.product_lines.all()) == set(registration.product_lines.all())


def test_approving_a_registration_of_a_client_served_elsewhere_opens_no_deal(covered):
    from keychannel.clients.models import CorporateClient

    client = make_client(distributor=covered.own, territory=covered.territory)
    registration = submit(covered, client=client)
    CorporateClient.objects.filter(pk=client.pk).update(distributor=None)  # made direct meanwhile
    services.registration_approve(principal=covered.principal("channel_manager"), registration=registration)
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.APPROVED and registration.opportunity is None


def test_registration_with_open_conflict_or_without_claim_cannot_be_approved(covered):
    client = make_client(distributor=covered.own, territory=covered.territory, tax_id="31313131")
    submit(covered, client=client)
    second = submit(covered, user=Principal_for(covered.other_users["dist_sales"]), distributor=covered.other,
                    legal_name="x", tax_id="31313131")
    with pytest.raises(ConflictError):
        services.registration_approve(principal=covered.principal("program_manager"), registration=second)


def test_reject_needs_a_reason_and_releases_the_client(covered):
    client = make_client(distributor=covered.own, territory=covered.territory)
    registration = submit(covered, client=client)
    pm = covered.principal("program_manager")
    with pytest.raises(ValidationError):
        services.registration_reject(principal=pm, registration=registration, reason=" ")
    services.registration_reject(principal=pm, registration=registration, reason="No budget at the client.")
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.REJECTED and not registration.holds_claim
    assert submit(covered, user="dist_head", client=client).holds_claim


def test_channel_manager_decides_only_managed_distributors(covered):
    from django.core.exceptions import PermissionDenied

    client = make_client(distributor=covered.other, territory=covered.territory)
    registration = make_registration(distributor=covered.other, client=client, user=covered.other_users["dist_sales"])
    with pytest.raises(PermissionDenied):
        services.registration_approve(principal=covered.principal("channel_manager"), registration=registration)


def test_extend_and_expiry(covered):
    client = make_client(distributor=covered.own, territory=covered.territory)
    registration = submit(covered, client=client)
    pm = covered.principal("program_manager")
    services.registration_approve(principal=pm, registration=registration, protected_until=today() + datetime.timedelta(days=2))
    services.registration_extend(principal=pm, registration=registration, days=10)
    registration.refresh_from_db()
    assert registration.protected_until == today() + datetime.timedelta(days=12) and registration.extensions == 1
    # on read, past its end it counts as expired before the job runs
    later = today() + datetime.timedelta(days=13)
    assert not registration.is_protected_on(later)
    assert DealRegistration.objects.protected_on(later).count() == 0
    with pytest.raises(ConflictError):
        services.registration_extend(principal=pm, registration=registration, days=5, on_date=later)
    assert services.expire_registrations(on_date=later) == 1
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.EXPIRED and not registration.holds_claim
    assert services.expire_registrations(on_date=later) == 0


def test_an_expired_registration_never_blocks_a_new_one(covered):
    client = make_client(distributor=covered.other, territory=covered.territory, tax_id="42424242")
    make_registration(distributor=covered.other, client=client, user=covered.other_users["dist_sales"],
                      status=RegistrationStatus.APPROVED, protected_until=today() - datetime.timedelta(days=1))
    client.distributor = covered.own  # the client moved to own meanwhile
    client.save()
    registration = submit(covered, client=client)
    assert registration.holds_claim and registration.checks == []
    assert client.registrations.filter(status=RegistrationStatus.EXPIRED).count() == 1


def test_expire_command(covered):
    from django.core.management import call_command

    client = make_client(distributor=covered.own, territory=covered.territory)
    make_registration(distributor=covered.own, client=client, user=covered.user("dist_sales"),
                      status=RegistrationStatus.APPROVED, protected_until=today() - datetime.timedelta(days=3))
    call_command("expire_registrations")
    assert DealRegistration.objects.get().status == RegistrationStatus.EXPIRED
    assert Conflict.objects.filter(status=ConflictStatus.OPEN).count() == 0
