"""Timeline invariants of the seeded demo (issue 18, part 8), called by tests/test_demo.py after seeding: the demo
used to stamp everything at the seeding instant — decisions before their requests, contracts renewing before they
started, a goals chart with every approval in the current month."""


from django.db.models import F
from django.utils import timezone


def check_timeline():
    from keychannel.channel.models import Conflict, DealRegistration, LeadOffer
    from keychannel.deals.models import Activity, CorporateContract, Opportunity, ProductTest, StageChange
    from keychannel.network.models import Interaction
    from keychannel.service.models import ServiceCase

    now, today = timezone.now(), timezone.localdate()
    local = timezone.get_current_timezone()

    # Every decision after its request, never in the future; decisions spread over months, not all "now".
    decided = list(DealRegistration.objects.filter(decided_at__isnull=False).values_list(
        "pk", "submitted_on", "decided_at", "created_at"))
    assert decided
    for pk, submitted, decided_at, created_at in decided:
        assert submitted <= decided_at.astimezone(local).date() and decided_at <= now, pk
        assert created_at <= decided_at, pk
    assert len({d.astimezone(local).date().replace(day=1) for _pk, _s, d, _c in decided}) >= 6
    for pk, submitted, protected_until, decided_at in DealRegistration.objects.filter(
            status="expired").values_list("pk", "submitted_on", "protected_until", "decided_at"):
        assert submitted <= protected_until and decided_at.astimezone(local).date() <= protected_until, pk
    for pk, created_at, decided_at in Conflict.objects.filter(decided_at__isnull=False).values_list(
            "pk", "created_at", "decided_at"):
        assert created_at <= decided_at <= now, pk
    for pk, offered_on, responded_at in LeadOffer.objects.filter(responded_at__isnull=False).values_list(
            "pk", "offered_on", "responded_at"):
        assert offered_on <= responded_at.astimezone(local).date() and responded_at <= now, pk

    # Every contract renews after it starts and ends after its renewal.
    contracts = list(CorporateContract.objects.values_list("pk", "starts_on", "renewal_on", "ends_on", "created_at"))
    assert contracts
    for pk, starts, renewal, ends, created_at in contracts:
        assert starts < renewal < ends, pk
        assert starts <= today and created_at.astimezone(local).date() == starts, pk

    # Deals: opened (created) at their first stage change, stages in order, nothing in the future.
    first_change = {}
    for deal_id, changed_at in StageChange.objects.order_by("opportunity_id", "changed_at", "pk").values_list(
            "opportunity_id", "changed_at"):
        assert changed_at <= now
        first_change.setdefault(deal_id, changed_at)
    for pk, created_at, closed_on in Opportunity.objects.values_list("pk", "created_at", "closed_on"):
        if pk in first_change:
            assert created_at == first_change[pk], pk
        assert closed_on is None or closed_on <= today, pk

    # Activities spread over at least 12 months, none in the future, each created the day it happened.
    days = list(Activity.objects.values_list("occurred_on", "created_at"))
    assert max(d for d, _c in days) <= today
    assert (max(d for d, _c in days) - min(d for d, _c in days)).days >= 365
    assert len({(d.year, d.month) for d, _c in days}) >= 12
    assert all(c.astimezone(local).date() == d for d, c in days)
    for starts, decided in ProductTest.objects.exclude(decided_on=None).values_list("starts_on", "decided_on"):
        assert starts <= decided <= today
    assert not Interaction.objects.filter(occurred_on__gt=today).exists()
    assert not ServiceCase.objects.filter(rated_at__gt=now).exists()
    assert not ServiceCase.objects.exclude(created_at=F("opened_at")).exists()

    # The history agrees: each record's creation row is dated when the record was created.
    for model in (DealRegistration, CorporateContract, Activity, Opportunity):
        created = dict(model.objects.values_list("pk", "created_at"))
        for pk, history_date in model.history.filter(history_type="+", id__in=list(created)).values_list(
                "id", "history_date"):
            assert history_date == created[pk], (model.__name__, pk)
        # ``now`` is read after seeding ended: every history row written by the seed is at or before it.
        assert not model.history.filter(history_date__gt=now).exists()


def check_romanian_texts():
    """Texts a Romanian user wrote are in Romanian: lost reasons, next steps, activity notes, the distributors'
    comments and the clients' ratings."""
    from keychannel.channel.models import ConflictComment
    from keychannel.deals.models import Activity, Opportunity
    from keychannel.service.models import ServiceCase

    romanian = set("ăâîșțĂÂÎȘȚ")

    def has_romanian(texts):
        texts = [t for t in texts if t]
        assert texts
        return all(any(ch in romanian for ch in t) for t in texts)

    assert has_romanian(Opportunity.objects.filter(stage="lost").values_list("lost_reason", flat=True))
    assert has_romanian(Activity.objects.values_list("outcome", flat=True).distinct())
    assert has_romanian(ConflictComment.objects.filter(author_distributor__isnull=False).values_list("body", flat=True))
    assert has_romanian(ServiceCase.objects.exclude(rating_comment="").values_list("rating_comment", flat=True))
