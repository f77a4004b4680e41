"""Pages of the distributor scorecard (docs/cockpits.md): the network table, its CSV and one card. Thin."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from keychannel.core.exports import export_response
from keychannel.core.pagination import MAX_OFFSET
from keychannel.core.policies import can

from .. import scorecard

PER_PAGE = 50

# xgettext:no-python-format (a percent sign, not a placeholder)
GOALS_SHARE_OF_PLAN = gettext_lazy("Goals (% of plan)")

COLUMNS = [
    ("code", gettext_lazy("Code")), ("name", gettext_lazy("Distributor")), ("level", gettext_lazy("Level")), ("attainment", GOALS_SHARE_OF_PLAN),
    ("goals", gettext_lazy("Goals behind")), ("pipeline", gettext_lazy("Weighted pipeline")), ("win_rate", gettext_lazy("Win rate")),
    ("won", gettext_lazy("Won (RON)")), ("registrations", gettext_lazy("Registrations")), ("sell_out", gettext_lazy("Sell-out (RON)")),
    ("share", gettext_lazy("Share of potential")), ("key_accounts", gettext_lazy("Key accounts won")), ("readiness", gettext_lazy("Readiness")),
    ("support", gettext_lazy("Support spend")), ("return", gettext_lazy("Return")), ("health", gettext_lazy("Relationship flags")),
]


def _year(request):
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return None
    return year if 2000 <= year <= 2100 else None


def _sort(request):
    sort = request.GET.get("sort", "")
    return sort if sort.lstrip("-") in scorecard.SORTS else ""


def _number(request):
    try:
        return max(1, int(request.GET.get("page", "")))
    except ValueError:
        return 1


def _filters(request):
    principal = request.principal
    if not scorecard.may_view(principal):
        raise PermissionDenied
    controls = scorecard.SCORECARD_FILTERS.page_controls(principal)
    values = scorecard.SCORECARD_FILTERS.from_query(request.GET, principal, controls)
    q = request.GET.get("q", "").strip()[:200]
    if q:
        values["q"] = q
    return values, controls, q


def scorecard_list(request):
    values, controls, q = _filters(request)
    sort = _sort(request)
    # A page of the table: its figures are read for the page's distributors only (issue 22); the export has every row
    number = min(_number(request), MAX_OFFSET // PER_PAGE + 1)
    rows, count = scorecard.scorecard_page(principal=request.principal, filters=values, year=_year(request), sort=sort,
                                           limit=PER_PAGE, offset=(number - 1) * PER_PAGE)
    pages = max(1, -(-count // PER_PAGE))
    paging = request.GET.copy()
    paging.pop("page", None)
    params = request.GET.copy()
    headers = []
    for key, label in COLUMNS:
        if key == "health" and not can(request.principal, "network.relationship.health"):
            continue
        params["sort"] = f"-{key}" if sort == key else key
        params.pop("page", None)
        headers.append({"key": key, "label": label, "query": params.urlencode(),
                        "direction": "asc" if sort == key else "desc" if sort == f"-{key}" else ""})
    export = request.GET.copy()
    export.pop("page", None)
    return render(request, "program/scorecard_list.html", {
        "rows": rows, "headers": headers, "controls": controls, "q": q, "sort": sort,
        "selected": {c.name: request.GET.get(c.name, "") for c in controls},
        "year": _year(request) or scorecard.period_for(None).year,
        "show_health": can(request.principal, "network.relationship.health"),
        "export_query": export.urlencode(), "count": count, "number": number, "pages": pages,
        "previous_query": _page_query(paging, number - 1) if number > 1 else "",
        "next_query": _page_query(paging, number + 1) if number < pages else "",
        "trends": {r["id"]: [float(p["amount"]) for p in r["sell_out_trend"]] for r in rows},
        "trend_labels": [p["month"] for p in rows[0]["sell_out_trend"]] if rows else [],
        "breadcrumbs": [(_("Scorecards"), "")],
    })


def _page_query(params, number):
    params = params.copy()
    params["page"] = number
    return params.urlencode()


def scorecard_csv(request):
    values, _controls, _q = _filters(request)
    # every row, read a chunk of distributors at a time while the file is written
    rows = scorecard.iter_rows(principal=request.principal, filters=values, year=_year(request), sort=_sort(request))
    health = can(request.principal, "network.relationship.health")
    header = [_("Code"), _("Distributor"), _("Size"), _("Level"), _("Goals"), _("Goals behind"), str(GOALS_SHARE_OF_PLAN),
              _("Open deals"), _("Open pipeline (RON)"), _("Weighted pipeline (RON)"), _("Won deals"), _("Won (RON)"),
              _("Lost deals"), _("Win rate (%)"), _("Key accounts won"), _("Registrations approved"),
              _("Registrations rejected"), _("Registrations expired"), _("Registrations pending"),
              _("Sell-out (RON)"), _("Potential (RON)"), _("Share of potential (%)"), _("Readiness"),
              _("Support spend (RON)"), _("Support won (RON)"), _("Return per RON")]
    if health:
        header.append(_("Relationship flags"))

    def lines():
        for r in rows:
            line = [r["code"], r["name"], r["size_tier_label"], r["level"], r["goals_total"], r["goals_behind"],
                    r["attainment"], r["open_deals"], r["open_pipeline"], r["weighted_pipeline"], r["won_deals"],
                    r["won_value"], r["lost_deals"], r["win_rate"], r["key_accounts_won"], r["registrations"]["approved"],
                    r["registrations"]["rejected"], r["registrations"]["expired"], r["registrations"]["pending"],
                    r["sell_out"], r["potential"], r["share_of_potential"], r["readiness"], r["support_spend"],
                    r["support_won"], r["support_return"]]
            if health:
                line.append(" ".join(f["message"] for f in r["health"] or []))
            yield line

    return export_response(request.GET.get("format"), "scorecards", header, lines(), sheet_title=_("Scorecards"))


def scorecard_detail(request, pk):
    principal = request.principal
    if not scorecard.may_view(principal):
        raise PermissionDenied
    row = scorecard.scorecard_get(principal=principal, pk=pk, year=_year(request))
    return render(request, "program/scorecard_detail.html", {
        "row": row, "distributor": row["distributor"], "year": _year(request) or scorecard.period_for(None).year,
        "trend": {"labels": [p["month"] for p in row["sell_out_trend"]],
                  "amounts": [float(p["amount"]) for p in row["sell_out_trend"]]},
        "breadcrumbs": [(_("Scorecards"), "program:scorecard_list"), (row["code"], "")],
    })
