"""Demo data of the channel app: registrations in every state, conflicts of every kind, leads in every state.

Deterministic (``ctx.sub_rng("channel")``, every value drawn on every run) and idempotent: every record has a
natural key (client + distributor + deal title, conflict reason, lead company) and is written with
update_or_create, so a second run creates nothing. The data is written directly (no notifications are sent);
the one conflict taken out of scope goes through ``client_make_direct`` and ``opportunity_create`` once.
"""

import datetime
from decimal import Decimal

from django.utils import timezone

from keychannel.clients.models import CorporateClient
from keychannel.core.scoping import Principal

from .choices import (
    ConflictKind,
    ConflictStatus,
    InFlightHandling,
    LeadSource,
    LeadStatus,
    OfferStatus,
    OutOfScopeReason,
    PartyRole,
    RegistrationStatus,
    Resolution,
)
from .models import Conflict, ConflictComment, ConflictParty, DealRegistration, Lead, LeadOffer

DEALS = ["Compressor fleet renewal", "Plant air retrofit", "Standby generators", "Welding line upgrade",
         "Process pumps", "Filtration for the new hall", "Service contract, three sites", "Spare parts framework"]
LEAD_COMPANIES = ["Nova Steel Galați SA", "Agroind Bărăgan SRL", "Farmaceutica Someș SA", "Logistic Hub Ilfov SRL",
                  "Cimentul Carpați SA", "Lactate Bucovina SRL", "Auto Parts Argeș SA", "Hârtia Dunărea SA"]


def _clients(ctx):
    """Clients with a distributor, plus the ones this demo took out of scope (so a second run picks the same)."""
    from django.db.models import Q

    qs = CorporateClient.objects.filter(
        Q(distributor__isnull=False) | Q(channel_conflicts__resolution=Resolution.OUT_OF_SCOPE)
    ).distinct()
    return list(qs.order_by("pk"))


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    """A moment of a demo day, never in the future (the demo tells the truth in time: docs/index.md)."""
    moment = datetime.datetime.combine(day, datetime.time(hour), tzinfo=timezone.get_current_timezone())
    return min(moment, timezone.now())


def _registration(ctx, *, client, distributor, title, lines, status, rng, today, holds_claim=True, checks=(),
                  decided_by=None, reason="", protected_until=None, submitted_days_ago=None):
    drawn_days_ago, decision_after = rng.randint(1, 40), rng.randint(1, 7)
    days_ago = submitted_days_ago if submitted_days_ago is not None else drawn_days_ago
    submitted = today - datetime.timedelta(days=days_ago)
    # Decided a few days after the request (never before it, never after today).
    decided_at = _at(submitted + datetime.timedelta(days=min(decision_after, days_ago)), 11) if decided_by else None
    registration, _ = DealRegistration.objects.update_or_create(
        client=client, distributor=distributor, title=title,
        defaults={
            "registered_by": ctx.users[f"{distributor.code}-sales"], "client_name": client.legal_name,
            "estimated_value": Decimal(rng.randrange(80_000, 2_500_000, 10_000)),
            "expected_close_on": today + datetime.timedelta(days=rng.randint(30, 200)),
            "status": status, "holds_claim": holds_claim and status in (RegistrationStatus.PENDING, RegistrationStatus.APPROVED),
            "checks": list(checks), "submitted_on": submitted, "decided_by": decided_by,
            "decided_at": decided_at, "decision_reason": reason,
            "protected_until": protected_until,
        },
    )
    registration.product_lines.set(lines)
    return registration


def _conflict(*, kind, client, reason, registration, today, status=ConflictStatus.OPEN, lines=(), age=3, **decision):
    conflict, _ = Conflict.objects.update_or_create(
        client=client, kind=kind, reason=reason,
        defaults={
            "client_name": client.legal_name, "territory_id": client.territory_id, "registration": registration,
            "status": status, "due_on": today + datetime.timedelta(days=10 - age),
            "decided_at": _at(today - datetime.timedelta(days=age // 2), 15) if status == ConflictStatus.RESOLVED
            else None, **decision,
        },
    )
    conflict.product_lines.set(lines)
    return conflict


def _party(conflict, distributor, role, registration=None, share=None):
    ConflictParty.objects.update_or_create(
        conflict=conflict, distributor=distributor,
        defaults={"role": role, "registration": registration, "share_percent": share},
    )


def _check(kind, code, lines=()):
    return {"kind": str(kind), "code": code, "lines": [str(line.name) for line in lines]}


def seed(ctx):
    rng = ctx.sub_rng("channel")
    today = timezone.localdate()
    distributors = list(ctx.data["distributors"])
    lines = list(ctx.data["product_lines"])
    clients = _clients(ctx)
    if len(clients) < 30 or len(distributors) < 4:
        return
    program = ctx.users["program"]
    picks = rng.sample(range(len(clients)), 30)
    pool = [clients[i] for i in picks]
    by_pk = {d.pk: d for d in distributors}

    def owner(client):
        return by_pk[client.distributor_id]

    def other_than(distributor):
        return distributors[(distributors.index(distributor) + 1 + rng.randrange(len(distributors) - 1)) % len(distributors)]

    def some_lines(distributor):
        agreement = list(distributor.product_lines.all()) or lines
        return rng.sample(agreement, min(len(agreement), rng.randint(1, 2)))

    # Registrations in every state.
    plan = [RegistrationStatus.APPROVED] * 6 + [RegistrationStatus.PENDING] * 5 + [RegistrationStatus.EXPIRED] * 3 + \
        [RegistrationStatus.REJECTED] * 3
    for index, status in enumerate(plan):
        client = pool[index]
        distributor = owner(client)
        manager = distributor.channel_manager or program
        title = DEALS[index % len(DEALS)]
        values = {}
        # When each was submitted, spread over the past year: a request is decided after it is made, and an expired
        # protection was approved (90 days) before it ran out.
        age = rng.randint(10, 330)
        if status == RegistrationStatus.APPROVED:
            days = rng.randint(15, 85)
            # The first two end their protection within two weeks: the cockpits' "about to expire" (docs/cockpits.md).
            values = {"decided_by": manager, "protected_until": today + datetime.timedelta(days=days if index >= 2
                                                                                            else 5 + 4 * index),
                      "submitted_days_ago": 95 - days if index >= 2 else 92 - 4 * index}
        elif status == RegistrationStatus.EXPIRED:
            lapsed = rng.randint(1, 30) + age // 2
            values = {"decided_by": manager, "protected_until": today - datetime.timedelta(days=lapsed),
                      "reason": "Aprobată pentru perioada standard.", "submitted_days_ago": lapsed + 95}
        elif status == RegistrationStatus.REJECTED:
            values = {"decided_by": manager, "submitted_days_ago": age, "reason": rng.choice([
                "Clientul a confirmat că nu are proiect anul acesta.", "Aceeași oportunitate este deja în programul corporativ.",
                "Prea puține detalii: înregistrați din nou, cu factorul de decizie al clientului."])}
        else:
            values = {"submitted_days_ago": 1 + age % 12}  # pending: recent
        _registration(ctx, client=client, distributor=distributor, title=title, lines=some_lines(distributor),
                      status=status, rng=rng, today=today, **values)

    # Conflicts of every kind.
    # 1. Double registration, open: another distributor registered a client that one holds (the live demo case).
    held, claimant = pool[17], other_than(owner(pool[17]))
    first = _registration(ctx, client=held, distributor=owner(held), title="Compressed air audit", lines=lines[:1],
                          status=RegistrationStatus.PENDING, rng=rng, today=today, submitted_days_ago=9)
    second = _registration(ctx, client=held, distributor=claimant, title="Compressed air audit", lines=lines[:1],
                           status=RegistrationStatus.PENDING, rng=rng, today=today, holds_claim=False,
                           checks=[_check(ConflictKind.DOUBLE_REGISTRATION, "registered_by_other")], submitted_days_ago=4)
    conflict = _conflict(kind=ConflictKind.DOUBLE_REGISTRATION, client=held, registration=second, today=today,
                         reason="Another distributor already holds an active registration for this client.",
                         status=ConflictStatus.UNDER_REVIEW, lines=lines[:1], age=4)
    _party(conflict, claimant, PartyRole.CLAIMANT, second)
    _party(conflict, owner(held), PartyRole.HOLDER, first)
    for author, body, internal in [
        (program, "Ambii s-au întâlnit cu directorul fabricii; verificăm cine a adus prima cerere scrisă.", True),
        (program, "Vă rugăm să trimiteți data primei întâlniri cu clientul și cine a participat.", False),
    ]:
        ConflictComment.objects.update_or_create(conflict=conflict, body=body, defaults={"author": author, "internal": internal})
    ConflictComment.objects.update_or_create(
        conflict=conflict, body="Ne-am întâlnit cu directorul de achiziții pe 3 și am trimis oferta în săptămâna următoare.",
        defaults={"author": ctx.users[f"{claimant.code}-head"], "author_distributor": claimant, "internal": False},
    )

    # 2. Double registration, resolved by award to the holder.
    held2, claimant2 = pool[18], other_than(owner(pool[18]))
    keep = _registration(ctx, client=held2, distributor=owner(held2), title="Generator park", lines=lines[2:3],
                         status=RegistrationStatus.APPROVED, rng=rng, today=today, decided_by=program,
                         protected_until=today + datetime.timedelta(days=60), submitted_days_ago=30)
    lost = _registration(ctx, client=held2, distributor=claimant2, title="Generator park", lines=lines[2:3],
                         status=RegistrationStatus.REJECTED, rng=rng, today=today, decided_by=program,
                         checks=[_check(ConflictKind.DOUBLE_REGISTRATION, "registered_by_other")],
                         reason="Conflictul a fost atribuit celeilalte părți.", submitted_days_ago=20)
    conflict = _conflict(kind=ConflictKind.DOUBLE_REGISTRATION, client=held2, registration=lost, today=today,
                         reason="Another distributor already holds an active registration for this client.",
                         status=ConflictStatus.RESOLVED, resolution=Resolution.AWARDED, awarded_to=owner(held2),
                         decided_by=program, decision_note="The holder registered first and has a written request.",
                         lines=lines[2:3], age=20)
    _party(conflict, claimant2, PartyRole.CLAIMANT, lost)
    _party(conflict, owner(held2), PartyRole.HOLDER, keep)

    # 3. Territory, open, and 4. territory, resolved as rejected.
    for index, (state, age) in enumerate([(ConflictStatus.OPEN, 2), (ConflictStatus.RESOLVED, 15)]):
        client = pool[19 + index]
        distributor = owner(client)
        line = some_lines(distributor)
        registration = _registration(
            ctx, client=client, distributor=distributor, title="Pumps for a new site", lines=line, today=today, rng=rng,
            status=RegistrationStatus.PENDING if state == ConflictStatus.OPEN else RegistrationStatus.REJECTED,
            submitted_days_ago=age,
            checks=[_check(ConflictKind.TERRITORY, "territory_not_covered", line)],
            decided_by=None if state == ConflictStatus.OPEN else program,
            reason="" if state == ConflictStatus.OPEN else "Conflict rejected: the site is outside your coverage.",
        )
        extra = {} if state == ConflictStatus.OPEN else {
            "resolution": Resolution.REJECTED, "decided_by": program,
            "decision_note": "The new site lies in a county covered exclusively by another distributor."}
        conflict = _conflict(kind=ConflictKind.TERRITORY, client=client, registration=registration, today=today, status=state,
                             reason="Your coverage does not include the client's territory for: "
                                    + ", ".join(p.name for p in line) + ".", lines=line, age=age, **extra)
        _party(conflict, distributor, PartyRole.CLAIMANT, registration)

    # 5. Product range, open.
    client = pool[21]
    distributor = owner(client)
    outside = [p for p in lines if p not in set(distributor.product_lines.all())][:1] or lines[-1:]
    registration = _registration(ctx, client=client, distributor=distributor, title="Welding cells", lines=outside,
                                 status=RegistrationStatus.PENDING, rng=rng, today=today,
                                 checks=[_check(ConflictKind.PRODUCT_RANGE, "outside_agreement", outside)],
                                 submitted_days_ago=12)
    conflict = _conflict(kind=ConflictKind.PRODUCT_RANGE, client=client, registration=registration, today=today,
                         reason="These product lines are outside your agreement: " + ", ".join(p.name for p in outside) + ".",
                         lines=outside, age=12)  # overdue
    _party(conflict, distributor, PartyRole.CLAIMANT, registration)

    # 6. Client ownership, resolved by sharing 60/40.
    client = pool[22]
    partner = other_than(owner(client))
    conflict = _conflict(kind=ConflictKind.CLIENT_OWNERSHIP, client=client, registration=None, today=today,
                         reason="Both distributors deliver to the client's two plants and claim the corporate contract.",
                         status=ConflictStatus.RESOLVED, resolution=Resolution.SHARED, decided_by=program,
                         decision_note="Shared: the serving distributor leads, the second plant's distributor keeps 40%.",
                         lines=lines[:2], age=25)
    _party(conflict, owner(client), PartyRole.HOLDER, share=60)
    _party(conflict, partner, PartyRole.CLAIMANT, share=40)

    # 7. Pricing, open (opened by hand).
    client = pool[23]
    undercut = other_than(owner(client))
    conflict = _conflict(kind=ConflictKind.PRICING, client=client, registration=None, today=today,
                         reason="A second distributor quoted the client 18% under the corporate price list.",
                         lines=lines[:1], age=1)
    _party(conflict, owner(client), PartyRole.HOLDER)
    _party(conflict, undercut, PartyRole.CLAIMANT)

    # 8. Double registration taken out of scope: the client becomes a manufacturer-led project.
    _out_of_scope(ctx, client=pool[24], rng=rng, today=today, lines=lines)

    # Leads in every state.
    _leads(ctx, rng=rng, today=today, lines=lines, distributors=distributors, clients=pool)

    # Last: every distributor deal past the first stage satisfies the registration gate (docs/rules.md).
    _registrations_for_gated_deals(ctx, today=today)


def _out_of_scope(ctx, *, client, rng, today, lines):
    from keychannel.clients.services import client_make_direct
    from keychannel.deals.choices import Origin
    from keychannel.deals.services import opportunity_create

    program = ctx.users["program"]
    holder = client.distributor
    distributors = list(ctx.data["distributors"])
    claimant = distributors[(distributors.index(holder) + 3) % len(distributors)] if holder else distributors[0]
    reason = "Two distributors claim the client's national tender; neither covers all of its sites."
    existing = Conflict.objects.filter(client=client, kind=ConflictKind.DOUBLE_REGISTRATION, reason=reason).first()
    if existing is not None:
        holder = existing.parties.filter(role=PartyRole.HOLDER).first().distributor
        claimant = existing.parties.filter(role=PartyRole.CLAIMANT).first().distributor
    a = _registration(ctx, client=client, distributor=holder, title="National tender", lines=lines[:3], rng=rng, today=today,
                      status=RegistrationStatus.REJECTED, decided_by=program,
                      reason="Clientul a fost scos din aria distribuitorilor.", submitted_days_ago=31)
    b = _registration(ctx, client=client, distributor=claimant, title="National tender", lines=lines[:3], rng=rng,
                      today=today, status=RegistrationStatus.REJECTED, decided_by=program,
                      checks=[_check(ConflictKind.DOUBLE_REGISTRATION, "registered_by_other")],
                      reason="Clientul a fost scos din aria distribuitorilor.", submitted_days_ago=31)
    conflict = _conflict(
        kind=ConflictKind.DOUBLE_REGISTRATION, client=client, registration=b, today=today, reason=reason,
        status=ConflictStatus.RESOLVED, resolution=Resolution.OUT_OF_SCOPE, decided_by=program, lines=lines[:3], age=30,
        decision_note="Taken out of scope: the manufacturer runs the tender from scratch with both distributors' help.",
        out_of_scope_reason=OutOfScopeReason.UNRESOLVED_TERRITORY, notice_days=30,
        in_flight=InFlightHandling.GRACE_PERIOD, grace_until=today + datetime.timedelta(days=45),
    )
    _party(conflict, claimant, PartyRole.CLAIMANT, b)
    _party(conflict, holder, PartyRole.HOLDER, a)
    principal = Principal.for_user(program)
    client.refresh_from_db()
    if client.distributor_id is not None or not client.out_of_scope:
        client_make_direct(principal=principal, client=client, reason=f"conflict {conflict.pk}")
    # The distributors keep their open deals on the client for the grace period (docs/rules.md).
    from keychannel.deals.handover import open_distributor_deals

    open_distributor_deals(client.pk).filter(kept_until__isnull=True).update(kept_until=conflict.grace_until)
    if conflict.project_opportunity_id is None:
        from keychannel.deals.models import Opportunity

        project = Opportunity.objects.filter(source_reference=f"conflict:{conflict.pk}").first() or opportunity_create(
            principal=principal, client=client, distributor=None, owner=program,
            title=f"Cooperation project: {client.legal_name}", origin=Origin.OUT_OF_SCOPE_PROJECT,
            source_reference=f"conflict:{conflict.pk}", product_lines=lines[:3],
        )
        conflict.project_opportunity = project
        conflict.save(update_fields=["project_opportunity", "updated_at"])


def _leads(ctx, *, rng, today, lines, distributors, clients):
    program = ctx.users["program"]
    counties = list(ctx.data.get("counties") or [])
    states = [LeadStatus.NEW, LeadStatus.OFFERED, LeadStatus.OFFERED, LeadStatus.OFFERED, LeadStatus.ACCEPTED,
              LeadStatus.ACCEPTED, LeadStatus.UNASSIGNED, LeadStatus.OFFERED]
    for index, (company, status) in enumerate(zip(LEAD_COMPANIES, states, strict=True)):
        first, second = distributors[(index * 5) % len(distributors)], distributors[(index * 5 + 2) % len(distributors)]
        territory = counties[index % len(counties)] if counties else first.territory
        lead, _ = Lead.objects.update_or_create(
            company_name=company,
            defaults={
                "territory": territory, "estimated_value": Decimal(rng.randrange(150_000, 3_000_000, 50_000)),
                "source": list(LeadSource.values)[index % len(LeadSource.values)], "status": status,
                "contact_name": ctx.faker.name(), "contact_email": f"contact{index + 1}@lead.demo.keychannel.invalid",
                "notes": "A cerut o vizită după târgul de profil.", "created_by": program,
            },
        )
        lead.product_lines.set(rng.sample(lines, 2))
        accepted_client = None
        if status == LeadStatus.ACCEPTED:
            accepted_client = clients[22 + index]
            first = next((d for d in distributors if d.pk == accepted_client.distributor_id), first)
        offers = []
        if status == LeadStatus.OFFERED and index == 1:
            offers = [(first, OfferStatus.OFFERED, "")]
        elif status == LeadStatus.OFFERED and index == 2:
            offers = [(first, OfferStatus.DECLINED, "Nu avem capacitate pentru un proiect de asemenea mărime în acest trimestru."),
                      (second, OfferStatus.OFFERED, "")]
        elif status == LeadStatus.OFFERED:
            offers = [(first, OfferStatus.TIMED_OUT, ""), (second, OfferStatus.OFFERED, "")]
        elif status == LeadStatus.ACCEPTED:
            offers = [(first, OfferStatus.ACCEPTED, "")]
        elif status == LeadStatus.UNASSIGNED:
            offers = [(first, OfferStatus.DECLINED, "În afara sectorului nostru."), (second, OfferStatus.TIMED_OUT, "")]
        for step, (distributor, offer_status, reason) in enumerate(offers):
            offered_on = today - datetime.timedelta(days=(len(offers) - step) * 6)
            answered = offer_status in (OfferStatus.DECLINED, OfferStatus.ACCEPTED)
            LeadOffer.objects.update_or_create(
                lead=lead, distributor=distributor,
                defaults={
                    "status": offer_status, "decline_reason": reason, "offered_on": offered_on,
                    "respond_by": today + datetime.timedelta(days=3) if offer_status == OfferStatus.OFFERED
                    else offered_on + datetime.timedelta(days=5),
                    "responded_by": ctx.users[f"{distributor.code}-head"] if answered else None,
                    "responded_at": _at(offered_on + datetime.timedelta(days=2), 10) if answered else None,
                },
            )
        if accepted_client is not None and accepted_client.distributor_id is not None:
            lead.registration = _registration(
                ctx, client=accepted_client, distributor=first, title=f"Lead: {company}",
                lines=list(lead.product_lines.all()), status=RegistrationStatus.APPROVED, rng=rng, today=today,
                decided_by=program, reason="Lead passed by the manufacturer.",
                protected_until=today + datetime.timedelta(days=90),
            )
            lead.save(update_fields=["registration", "updated_at"])


def _registrations_for_gated_deals(ctx, *, today):
    """The registrations the strict channel policy asks of the demo's deals past the first stage.

    An open deal gets an approved registration (or its lines are added to the one its distributor holds on the
    client); a won deal one that protected it on the day it was won and has expired since. Where a demo story
    already has the client's registration pending, the program office let the deal through by override, as it
    would for deals opened before the policy. Own random stream: the rest of the demo stays the same.
    """
    from keychannel.deals.choices import Stage
    from keychannel.deals.models import Opportunity

    from .gate import gate_reasons, protecting_registration

    rng = ctx.sub_rng("channel-gate")
    program = ctx.users["program"]
    deals = (
        Opportunity.objects.filter(distributor__isnull=False, gate_override_at__isnull=True)
        .exclude(stage__in=[Stage.DISCUSSION, Stage.LOST])
        .select_related("client", "distributor").prefetch_related("product_lines").order_by("pk")
    )
    for deal in deals:
        lines = list(deal.product_lines.all())
        on_date = deal.closed_on if deal.stage == Stage.WON and deal.closed_on else today
        reasons = gate_reasons(opportunity=deal, product_lines=lines, on_date=today)
        drawn = (rng.randint(10, 40), rng.randint(20, 85))
        if not reasons or protecting_registration(client_id=deal.client_id, distributor_id=deal.distributor_id,
                                                  product_lines=lines, on_date=on_date):
            continue
        active = DealRegistration.objects.active().filter(client_id=deal.client_id, distributor_id=deal.distributor_id)
        if deal.stage == Stage.WON and on_date < today:
            fields = {"status": RegistrationStatus.EXPIRED, "protected_until": on_date, "holds_claim": False,
                      "submitted_on": on_date - datetime.timedelta(days=drawn[0])}
        elif not active.exists():
            fields = {"status": RegistrationStatus.APPROVED, "protected_until": today + datetime.timedelta(days=drawn[1]),
                      "submitted_on": today - datetime.timedelta(days=drawn[0]),
                      "holds_claim": not DealRegistration.objects.active().filter(client_id=deal.client_id,
                                                                                  holds_claim=True).exists()}
        else:
            held = active.filter(status=RegistrationStatus.APPROVED, protected_until__gte=today).first()
            if held is not None:
                held.product_lines.add(*lines)
                continue
            Opportunity.objects.filter(pk=deal.pk).update(
                gate_override_reason="Deschisă înainte de politica de canal; biroul programului a lăsat-o să continue.",
                gate_override_rules=", ".join(code for code, _m in reasons)[:200], gate_override_by=program,
                gate_override_at=timezone.now())
            continue
        registration, _ = DealRegistration.objects.update_or_create(
            client=deal.client, distributor=deal.distributor, title=deal.title[:200],
            defaults={
                "registered_by": deal.owner, "client_name": deal.client.legal_name, "estimated_value": deal.value,
                "expected_close_on": deal.expected_close_on or today, "checks": [], "decided_by": program,
                "decided_at": _at(fields["submitted_on"] + datetime.timedelta(days=2), 11),
                "decision_reason": "Toate verificările automate au trecut.",
                "opportunity": deal, **fields,
            },
        )
        registration.product_lines.set(lines)
