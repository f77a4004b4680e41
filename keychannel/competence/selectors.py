"""Reads of the competence app, always through visible_to."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Case, Count, Exists, F, IntegerField, Max, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from keychannel.core.choices import Role
from keychannel.core.cockpit import CockpitItem, due_badge, first_rows, item_url, limited
from keychannel.core.scoping import get_visible_or_404, in_lookup
from keychannel.deals.choices import OPEN_STAGES
from keychannel.deals.models import Opportunity

from .choices import OPEN_TASK_STATUSES, ConsultationStatus, KamDuty, TaskStatus
from .models import (
    CoachingSession,
    ConsultationRequest,
    EmbeddedAssignment,
    KamTask,
    KamTaskComment,
    Mentorship,
)


def _users_with_role(role):
    return get_user_model().objects.filter(membership__role=role, is_active=True).order_by("last_name", "username")


def mentors():
    return _users_with_role(Role.MENTOR)


def kams():
    return _users_with_role(Role.EMBEDDED_KAM)


# ---- mentorships --------------------------------------------------------------------------------------------

def mentorship_list(*, principal, filters: dict | None = None):
    filters = filters or {}
    qs = (
        Mentorship.objects.visible_to(principal)
        .select_related("mentor", "distributor", "client", "opportunity")
        .annotate(session_count=Count("sessions"))
    )
    if mentor_id := filters.get("mentor_id"):
        qs = qs.filter(mentor_id=mentor_id)
    if distributor_id := filters.get("distributor_id"):
        qs = qs.filter(distributor_id=distributor_id)
    if filters.get("active"):
        qs = qs.active_on()
    return qs


def mentorship_get(*, principal, pk):
    return get_visible_or_404(mentorship_list(principal=principal), principal, pk=pk)


def session_list(*, principal, mentorship=None):
    qs = CoachingSession.objects.visible_to(principal).select_related("mentorship", "recorded_by")
    if mentorship is not None:
        qs = qs.filter(mentorship=mentorship)
    return qs


def last_months(n: int, today: date | None = None) -> list[date]:
    """The first day of each of the last ``n`` months, oldest first (this month included)."""
    today = today or timezone.localdate()
    months, year, month = [], today.year, today.month
    for _i in range(n):
        months.append(date(year, month, 1))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return list(reversed(months))


def mentor_workload(*, principal, months: int = 6) -> dict:
    """Per mentor: active distributor and client mentorships, deals, open coaching next steps, sessions per month.

    A mentor sees their own row; the other manufacturer roles every mentor (numbers within their reach).
    Three queries whatever the number of mentors.
    """
    month_list = last_months(months)
    people = mentors()
    if principal.has_role(Role.MENTOR):
        people = people.filter(pk=principal.user_id)
    people = list(people)
    ids = [p.pk for p in people]
    active = Mentorship.objects.visible_to(principal).active_on().filter(mentor_id__in=ids)
    counts = defaultdict(lambda: {"distributors": set(), "clients": 0, "deals": 0})
    rows = active.values_list("mentor_id", "distributor_id", "client_id", "opportunity_id")
    for mentor_id, distributor_id, client_id, opportunity_id in rows:
        if opportunity_id:
            continue  # deals are counted from the deals themselves (their mentor), below
        if client_id:
            counts[mentor_id]["clients"] += 1
        else:
            counts[mentor_id]["distributors"].add(distributor_id)
    deals = deal_counts_by_mentor(principal=principal, mentor_ids=ids)
    sessions = (
        CoachingSession.objects.visible_to(principal)
        .filter(mentorship__mentor_id__in=ids, held_on__gte=month_list[0])
        .annotate(month=TruncMonth("held_on"))
        .values_list("mentorship__mentor_id", "month")
        .annotate(n=Count("id"))
    )
    per_month = defaultdict(dict)
    for mentor_id, month, n in sessions:
        month = month.date() if hasattr(month, "date") else month
        per_month[mentor_id][month.replace(day=1)] = n
    rows = []
    for person in people:
        c = counts[person.pk]
        series = [per_month[person.pk].get(m, 0) for m in month_list]
        rows.append({
            "mentor": person,
            "distributors": len(c["distributors"]),
            "clients": c["clients"],
            "deals": deals.get(person.pk, 0),
            "sessions": series,
            "sessions_total": sum(series),
            "load": len(c["distributors"]) + c["clients"] + deals.get(person.pk, 0),
        })
    return {"months": month_list, "rows": rows}


def deal_counts_by_mentor(*, principal, mentor_ids) -> dict[int, int]:
    """Open deals each mentor coaches (the deal's mentor), within the principal's sight."""
    qs = (Opportunity.objects.visible_to(principal).filter(mentor_id__in=mentor_ids, stage__in=OPEN_STAGES)
          .order_by())
    return dict(qs.values_list("mentor_id").annotate(n=Count("id")).values_list("mentor_id", "n"))


# ---- embedded assignments -----------------------------------------------------------------------------------

def assignment_list(*, principal, filters: dict | None = None):
    filters = filters or {}
    qs = (
        EmbeddedAssignment.objects.visible_to(principal)
        .select_related("kam", "distributor")
        .annotate(open_tasks=Count("kam__kam_tasks", distinct=True, filter=Q(
            kam__kam_tasks__status__in=OPEN_TASK_STATUSES, kam__kam_tasks__distributor_id=F("distributor_id"))))
    )
    if kam_id := filters.get("kam_id"):
        qs = qs.filter(kam_id=kam_id)
    if distributor_id := filters.get("distributor_id"):
        qs = qs.filter(distributor_id=distributor_id)
    if filters.get("active"):
        qs = qs.active_on()
    return qs


def assignment_get(*, principal, pk):
    return get_visible_or_404(assignment_list(principal=principal), principal, pk=pk)


# ---- KAM tasks ----------------------------------------------------------------------------------------------

def kam_task_list(*, principal, filters: dict | None = None):
    filters = filters or {}
    qs = KamTask.objects.visible_to(principal).select_related("kam", "distributor", "client", "created_by")
    for name in ("status", "duty", "priority", "kam_id", "distributor_id", "client_id"):
        value = filters.get(name)
        if value not in (None, ""):
            qs = qs.filter(**{name: value})
    if filters.get("open"):
        qs = qs.open()
    if q := (filters.get("q") or "").strip():
        qs = qs.filter(Q(title__icontains=q) | Q(description__icontains=q))
    return qs


def kam_task_get(*, principal, pk):
    return get_visible_or_404(kam_task_list(principal=principal), principal, pk=pk)


def kam_task_comments(*, principal, task):
    return KamTaskComment.objects.visible_to(principal).filter(task=task).select_related("author")


def kam_task_counts_by_status(*, principal, **filters) -> dict[str, int]:
    qs = kam_task_list(principal=principal, filters=filters).order_by()
    counts = dict(qs.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    return {status: counts.get(status, 0) for status in TaskStatus.values}


# ---- consultations ------------------------------------------------------------------------------------------

def consultation_list(*, principal, filters: dict | None = None):
    filters = filters or {}
    qs = ConsultationRequest.objects.visible_to(principal).select_related(
        "distributor", "requested_by", "recipient", "client", "task"
    )
    for name in ("status", "recipient_id", "distributor_id"):
        if value := filters.get(name):
            qs = qs.filter(**{name: value})
    if filters.get("mine"):
        qs = qs.filter(Q(recipient_id=principal.user_id) | Q(requested_by_id=principal.user_id))
    return qs


def consultation_get(*, principal, pk):
    return get_visible_or_404(consultation_list(principal=principal), principal, pk=pk)


# ---- coverage gaps ------------------------------------------------------------------------------------------

LARGE_EMPLOYEES = 250
LARGE_REVENUE_BANDS = ("50m_250m", "250m_1b", "gt1b")


def _gap_queryset(principal):
    """Key or large clients of small distributors with no active mentor (on the client or its distributor) and
    no KAM stationed at the distributor."""
    from keychannel.clients.models import CorporateClient
    from keychannel.network.choices import SizeTier

    today = timezone.localdate()
    active = Q(starts_on__lte=today) & (Q(ends_on__isnull=True) | Q(ends_on__gte=today))
    mentored_client = Mentorship.objects.filter(active, client_id=OuterRef("pk"))
    mentored_distributor = Mentorship.objects.filter(active, client__isnull=True,
                                                     distributor_id=OuterRef("distributor_id"))
    stationed = EmbeddedAssignment.objects.filter(active, distributor_id=OuterRef("distributor_id"))
    qs = (
        CorporateClient.objects.visible_to(principal)
        .filter(distributor__isnull=False, distributor__size_tier=SizeTier.SMALL, out_of_scope=False)
        .filter(Q(is_key_account=True) | Q(employees__gte=LARGE_EMPLOYEES) | Q(revenue_band__in=LARGE_REVENUE_BANDS))
        .exclude(Exists(mentored_client))
        .exclude(Exists(mentored_distributor))
        .exclude(Exists(stationed))
    )
    covered_deal = Opportunity.objects.filter(client_id=OuterRef("pk"), stage__in=OPEN_STAGES).filter(
        Q(mentor__isnull=False) | Q(kam__isnull=False))
    qs = qs.exclude(Exists(covered_deal))
    return qs.select_related("distributor", "distributor__territory", "territory", "territory__parent").order_by(
        "-is_key_account", "-potential_annual_volume", "legal_name", "pk"
    )


def _mentor_profiles(principal):
    """Each mentor's workload and the territories (county and region) they already work in: two queries."""
    people = list(mentors())
    load = defaultdict(int)
    places = defaultdict(set)
    rows = Mentorship.objects.active_on().filter(mentor__in=people).values_list(
        "mentor_id", "distributor__territory_id", "distributor__territory__parent_id"
    )
    for mentor_id, territory_id, parent_id in rows:
        load[mentor_id] += 1
        places[mentor_id].update({("county", territory_id), ("region", parent_id)})
    return [{"mentor": p, "load": load[p.pk], "places": places[p.pk]} for p in people]


def suggest_mentor(client, profiles):
    """Closest by territory first (same county, then same region), then the lightest current workload."""
    if not profiles:
        return None, None
    territory = client.territory or getattr(client.distributor, "territory", None)
    county = territory.pk if territory else None
    region = territory.parent_id if territory else None

    def score(profile):
        places = profile["places"]
        proximity = 2 if ("county", county) in places else 1 if region and ("region", region) in places else 0
        return (-proximity, profile["load"], profile["mentor"].username)

    best = min(profiles, key=score)
    reason = -score(best)[0]
    return best["mentor"], reason


def coverage_gap_list(*, principal, territory_id=None) -> list[dict]:
    """Gaps with a suggested mentor each, in a fixed number of queries."""
    qs = _gap_queryset(principal)
    if territory_id:
        qs = qs.filter(Q(territory_id=territory_id) | Q(territory__parent_id=territory_id)
                       | Q(distributor__territory_id=territory_id) | Q(distributor__territory__parent_id=territory_id))
    clients = list(qs[:500])
    profiles = _mentor_profiles(principal)
    gaps = []
    for client in clients:
        mentor, proximity = suggest_mentor(client, profiles)
        gaps.append({"client": client, "distributor": client.distributor, "suggested_mentor": mentor,
                     "proximity": proximity})
    return gaps


def coverage_gap_for(*, principal, client) -> dict | None:
    client = _gap_queryset(principal).filter(pk=client.pk).first()
    if client is None:
        return None
    mentor, proximity = suggest_mentor(client, _mentor_profiles(principal))
    return {"client": client, "distributor": client.distributor, "suggested_mentor": mentor, "proximity": proximity}


def gap_client_get(*, principal, pk):
    from keychannel.clients.models import CorporateClient

    return get_visible_or_404(CorporateClient.objects.select_related("distributor", "territory"), principal, pk=pk)


# ---- channel-structure graph --------------------------------------------------------------------------------

def _url(name, *args):
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def channel_structure(*, principal, territory_id=None, max_clients_per_distributor: int = 8) -> dict:
    """Manufacturer → mentors and KAMs → distributors → key clients, as ECharts graph data.

    Each distributor is tagged fig. 1 (a mentor, centralised competence), fig. 2 (a stationed KAM, combined
    channel), both, or neither. Five queries whatever the size of the network.
    """
    from keychannel.clients.models import CorporateClient
    from keychannel.core.models import Organization
    from keychannel.network.models import Distributor

    distributors = Distributor.objects.visible_to(principal).filter(active=True).select_related("territory")
    if territory_id:
        distributors = distributors.filter(Q(territory_id=territory_id) | Q(territory__parent_id=territory_id)
                                           | Q(territory__parent__parent_id=territory_id))
    if principal.distributor_ids is not None:
        distributors = distributors.filter(pk__in=in_lookup(principal.distributor_ids))
    distributors = list(distributors)
    dist_ids = [d.pk for d in distributors]
    mentorships = list(
        Mentorship.objects.visible_to(principal).active_on().filter(distributor_id__in=dist_ids)
        .select_related("mentor")
    )
    stations = list(
        EmbeddedAssignment.objects.visible_to(principal).active_on().filter(distributor_id__in=dist_ids)
        .select_related("kam")
    )
    clients = list(
        CorporateClient.objects.visible_to(principal).filter(distributor_id__in=dist_ids, is_key_account=True)
        .order_by("distributor_id", "-potential_annual_volume", "pk")
        .only("pk", "legal_name", "distributor_id", "potential_annual_volume")
    )
    maker = Organization.objects.filter(kind="manufacturer").first()
    nodes, links = [], []
    nodes.append({"id": "m", "name": maker.name if maker else "Manufacturer", "category": 0, "symbolSize": 46,
                  "url": _url("core:home"), "kind": "manufacturer"})
    fig1, fig2 = defaultdict(set), defaultdict(set)
    seen_people = set()
    for m in mentorships:
        key = f"u{m.mentor_id}"
        if key not in seen_people:
            seen_people.add(key)
            nodes.append({"id": key, "name": m.mentor.get_full_name() or m.mentor.username, "category": 1,
                          "symbolSize": 30, "url": _url("competence:mentor_workload") + f"?mentor={m.mentor_id}",
                          "kind": "mentor"})
            links.append({"source": "m", "target": key})
        fig1[m.distributor_id].add(key)
    for s in stations:
        key = f"u{s.kam_id}"
        if key not in seen_people:
            seen_people.add(key)
            nodes.append({"id": key, "name": s.kam.get_full_name() or s.kam.username, "category": 2,
                          "symbolSize": 30, "url": s.get_absolute_url(), "kind": "kam"})
            links.append({"source": "m", "target": key})
        fig2[s.distributor_id].add(key)
    summary = {"fig1": 0, "fig2": 0, "both": 0, "neither": 0}
    for d in distributors:
        key = f"d{d.pk}"
        structure = ("both" if fig1[d.pk] and fig2[d.pk] else "fig1" if fig1[d.pk] else "fig2" if fig2[d.pk]
                     else "neither")
        summary[structure] += 1
        category = {"fig1": 3, "fig2": 4, "both": 5, "neither": 6}[structure]
        nodes.append({"id": key, "name": f"{d.code} · {d.legal_name}", "category": category,
                      "symbolSize": {"large": 26, "medium": 20, "small": 15}.get(d.size_tier, 18),
                      "url": d.get_absolute_url(), "kind": "distributor", "structure": structure,
                      "territory": d.territory.name})
        for person in sorted(fig1[d.pk]):
            links.append({"source": person, "target": key, "fig": 1})
        for person in sorted(fig2[d.pk]):
            links.append({"source": person, "target": key, "fig": 2})
        if structure == "neither":
            links.append({"source": "m", "target": key, "lineStyle": {"type": "dashed", "opacity": 0.3}})
    shown = defaultdict(int)
    for c in clients:
        if shown[c.distributor_id] >= max_clients_per_distributor:
            continue
        shown[c.distributor_id] += 1
        key = f"c{c.pk}"
        nodes.append({"id": key, "name": c.legal_name, "category": 7, "symbolSize": 10,
                      "url": _url("clients:client_detail", c.pk), "kind": "client"})
        links.append({"source": f"d{c.distributor_id}", "target": key})
    return {"nodes": nodes, "links": links, "summary": summary, "distributors": len(distributors),
            "mentors": sum(1 for n in nodes if n["kind"] == "mentor"),
            "kams": sum(1 for n in nodes if n["kind"] == "kam"), "clients": sum(shown.values())}


def duty_choices():
    return KamDuty.choices


def open_task_count(principal):
    """Home figure: open tasks the principal sees (None for salespeople, who see no tasks)."""
    if not principal.is_authenticated or principal.has_role(Role.DIST_SALES):
        return None
    return KamTask.objects.visible_to(principal).open().count()


# ---- cockpit panels (registered in apps.py; docs/cockpits.md) ----------------------------------------------

COACHING_HORIZON_DAYS = 7
COACHING_SILENCE_DAYS = 30


def cockpit_my_tasks(principal, today):
    """A KAM's open tasks (blocked ones first), by priority and due date."""
    qs = (KamTask.objects.visible_to(principal).filter(kam_id=principal.user_id, status__in=OPEN_TASK_STATUSES)
          .select_related("distributor")
          .annotate(blocked_first=Case(When(status=TaskStatus.BLOCKED, then=Value(0)), default=Value(1),
                                       output_field=IntegerField()))
          .order_by("blocked_first", F("due_on").asc(nulls_last=True), "-priority", "pk"))
    rows, total = first_rows(qs)
    items = []
    for task in rows:
        if task.status == TaskStatus.BLOCKED:
            badge, tone = task.get_status_display(), "danger"
        elif task.due_on:
            badge, tone = due_badge(task.due_on, today)
        else:
            badge, tone = task.get_status_display(), "secondary"
        items.append(CockpitItem(label=task.title, url=item_url("competence:kamtask_detail", task.pk),
                                 detail=f"{task.distributor.code} · {task.get_duty_display()}", badge=badge, tone=tone))
    return limited(items, total)


def cockpit_blocked(principal, today):
    """Blocked KAM tasks in the principal's reach: somebody has to unblock them."""
    qs = (KamTask.objects.visible_to(principal).filter(status=TaskStatus.BLOCKED).select_related("kam", "distributor")
          .order_by("due_on", "pk"))
    rows, total = first_rows(qs)
    items = [CockpitItem(label=t.title, url=item_url("competence:kamtask_detail", t.pk),
                         detail=f"{t.distributor.code} · {t.kam.get_full_name() or t.kam.username}",
                         badge=t.get_status_display(), tone="danger") for t in rows]
    return limited(items, total)


def cockpit_coaching_due(principal, today):
    """A mentor's active mentorships whose agreed next step is due, or with no coaching for a month."""
    latest = CoachingSession.objects.filter(mentorship_id=OuterRef("pk")).order_by("-held_on", "-pk")
    qs = (Mentorship.objects.visible_to(principal).active_on(today).filter(mentor_id=principal.user_id)
          .select_related("distributor", "client", "opportunity")
          .annotate(last_held=Max("sessions__held_on"), next_due=Subquery(latest.values("next_step_due")[:1])))
    items = []
    for m in qs:
        if m.next_due and m.next_due <= today + timedelta(days=COACHING_HORIZON_DAYS):
            badge, tone = due_badge(m.next_due, today)
            key = m.next_due
        elif m.last_held is None or m.last_held < today - timedelta(days=COACHING_SILENCE_DAYS):
            badge, tone = _("no coaching for a month") if m.last_held else _("no coaching yet"), "warning"
            key = m.last_held or date.min
        else:
            continue
        target = m.opportunity.title if m.opportunity_id else m.client.legal_name if m.client_id else m.distributor.legal_name
        items.append((key, CockpitItem(label=target, url=item_url("competence:mentorship_detail", m.pk), detail=m.distributor.code,
                                       badge=str(badge), tone=tone)))
    items.sort(key=lambda pair: pair[0])
    return limited([item for _key, item in items])


def cockpit_consultations_for_me(principal, today):
    """Consultation requests waiting for the principal's answer (KAM or mentor)."""
    qs = (ConsultationRequest.objects.visible_to(principal).filter(recipient_id=principal.user_id, status=ConsultationStatus.PENDING)
          .select_related("distributor", "requested_by").order_by("created_at", "pk"))
    rows, total = first_rows(qs)
    items = [CockpitItem(label=c.subject, url=item_url("competence:consultation_detail", c.pk),
                         detail=f"{c.distributor.code} · {c.requested_by.get_full_name() or c.requested_by.username}",
                         badge=c.get_status_display(), tone="warning") for c in rows]
    return limited(items, total)


def cockpit_my_consultations(principal, today):
    """Consultations the principal asked for that are not settled yet."""
    qs = (ConsultationRequest.objects.visible_to(principal)
          .filter(requested_by_id=principal.user_id, status__in=[ConsultationStatus.PENDING, ConsultationStatus.ACCEPTED])
          .select_related("recipient").order_by("-created_at", "-pk"))
    rows, total = first_rows(qs)
    items = [CockpitItem(label=c.subject, url=item_url("competence:consultation_detail", c.pk),
                         detail=c.recipient.get_full_name() or c.recipient.username, badge=c.get_status_display(),
                         tone="secondary") for c in rows]
    return limited(items, total)
