"""The deals app's cockpit panels (registered in apps.py; docs/cockpits.md): deals at risk, next steps due, won this year, the salespeople's activity."""

from __future__ import annotations

import datetime

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from keychannel.core.cockpit import (
    CockpitFigure,
    CockpitItem,
    PanelContent,
    due_badge,
    first_rows,
    item_url,
    limited,
    money,
    short_date,
)

from .choices import OPEN_STAGES, Stage
from .models import Activity, Opportunity
from .rollups import open_totals
from .selectors import WEIGHTED, ZERO, rollup_serves
from .won import won_figures

RISK_LIMIT = 8
TEAM_ACTIVITY_DAYS = 14


def _needs_next_step(today):
    """Open deals with no next step, an overdue one, or an expected close already past."""
    return Q(stage__in=OPEN_STAGES) & (
        Q(next_step="") | Q(next_step_on__isnull=True) | Q(next_step_on__lt=today) | Q(expected_close_on__lt=today)
    )


def _risk_item(deal, today, *, with_owner: bool):
    if not deal.next_step or deal.next_step_on is None:
        badge, tone = _("no next step"), "danger"
    elif deal.next_step_on < today:
        badge, tone = due_badge(deal.next_step_on, today)
    else:
        badge, tone = _("close date passed"), "warning"
    parts = [deal.client.legal_name, deal.get_stage_display()]
    if with_owner and deal.owner_id:
        parts.append(deal.owner.get_full_name() or deal.owner.username)
    return CockpitItem(label=deal.title, url=item_url(Opportunity.detail_url_name, deal.pk), detail=" · ".join(parts), badge=badge, tone=tone)


def _risky(principal, today):
    return (Opportunity.objects.visible_to(principal).filter(_needs_next_step(today)).select_related("client", "owner")
            .order_by(Coalesce("next_step_on", "expected_close_on").asc(nulls_first=True), "-value", "pk"))


def cockpit_deals_at_risk(principal, today):
    """A distributor head's open deals without a next step, with an overdue one, or past their close date."""
    qs = _risky(principal, today)
    rows, total = first_rows(qs, RISK_LIMIT)
    return limited([_risk_item(d, today, with_owner=True) for d in rows], total)


def cockpit_my_next_steps(principal, today):
    """The principal's own open deals with an overdue or missing next step."""
    qs = _risky(principal, today).filter(owner_id=principal.user_id)
    rows, total = first_rows(qs, RISK_LIMIT)
    return limited([_risk_item(d, today, with_owner=False) for d in rows], total)


def cockpit_won_this_year(principal, today):
    """Money first: deals won this year (corporate contracts) and the new key accounts they brought."""
    start = datetime.date(today.year, 1, 1)
    won = Opportunity.objects.visible_to(principal).filter(stage=Stage.WON, closed_on__gte=start, closed_on__lte=today)
    if rollup_serves(principal, {}):  # the whole network: read once with the goals' won figures (deals/won.py)
        # the year's won deals, of which those closed by today: the statement the year's goals read too
        figures = won_figures(None, start, datetime.date(today.year, 12, 31), until=today)["until"]
        totals = {"count": figures["count"], "clients": figures["clients"], "won_value": figures["value"]}
    else:
        totals = won.aggregate(count=Count("pk"), clients=Count("client", distinct=True),
                               won_value=Coalesce(Sum("value"), ZERO))
    if rollup_serves(principal, {}):  # the whole network: the pipeline roll-up, not 300k deals
        _n, value, weighted = open_totals()
        open_value = {"open_value": value, "weighted": weighted}
    else:
        open_value = Opportunity.objects.visible_to(principal).open().aggregate(
            open_value=Coalesce(Sum("value"), ZERO), weighted=Coalesce(Sum(WEIGHTED), ZERO))
    figures = [
        CockpitFigure(_("Won this year (RON)"), money(totals['won_value']), url=item_url("deals:contract_list"),
                      detail=ngettext("%(count)d deal", "%(count)d deals", totals["count"]) % {"count": totals["count"]}),
        CockpitFigure(_("New key accounts"), str(totals["clients"])),
        CockpitFigure(_("Open pipeline (RON)"), money(open_value['open_value']), url=item_url("deals:pipeline"),
                      detail=_("weighted %(value)s") % {"value": money(open_value['weighted'])}),
    ]
    items = [
        CockpitItem(label=d.client.legal_name, url=item_url(Opportunity.detail_url_name, d.pk),
                    detail=f"{d.title} · {short_date(d.closed_on)}", badge=money(d.value), tone="success")
        for d in won.select_related("client").order_by("-closed_on", "-pk")[:5]
    ]
    return PanelContent(items=items, figures=figures)


def cockpit_team_activity(principal, today):
    """A distributor head's salespeople: activities in the last two weeks, open deals, overdue next steps."""
    from keychannel.core.choices import Role
    from keychannel.core.models import Membership

    if not principal.own_distributor_id:
        return None
    people = list(Membership.objects.visible_to(principal)
                  .filter(organization_id=principal.organization_id, role__in=[Role.DIST_SALES, Role.DIST_HEAD],
                          user__is_active=True)
                  .select_related("user").order_by("user__last_name", "user__username"))
    ids = [m.user_id for m in people]
    deals = dict(
        (row["owner_id"], row) for row in Opportunity.objects.visible_to(principal).open().filter(owner_id__in=ids)
        .order_by().values("owner_id").annotate(
            open=Count("pk"),
            overdue=Count("pk", filter=Q(next_step_on__lt=today) | Q(next_step="") | Q(next_step_on__isnull=True)),
        )
    )
    since = today - datetime.timedelta(days=TEAM_ACTIVITY_DAYS)
    activities = dict(
        Activity.objects.visible_to(principal).filter(opportunity__owner_id__in=ids, occurred_on__gte=since,
                                                      occurred_on__lte=today)
        .order_by().values("opportunity__owner_id").annotate(n=Count("pk")).values_list("opportunity__owner_id", "n")
    )
    pipeline = item_url("deals:opportunity_list")
    rows = []
    for m in people:
        row = deals.get(m.user_id, {"open": 0, "overdue": 0})
        done = activities.get(m.user_id, 0)
        rows.append((done, m.user.username, CockpitItem(
            label=m.user.get_full_name() or m.user.username,
            url=f"{pipeline}?owner_id={m.user_id}",
            detail=_("%(activities)d activities in %(days)d days · %(open)d open deals") % {
                "activities": done, "days": TEAM_ACTIVITY_DAYS, "open": row["open"]},
            badge=ngettext("%(count)d needs a next step", "%(count)d need a next step", row["overdue"]) % {"count": row["overdue"]} if row["overdue"] else "",
            tone="warning",
        )))
    rows.sort(key=lambda r: (r[0], r[1]))  # the quietest first
    return limited([r[2] for r in rows])
