"""Reads of the sales app, always from visible_to(principal)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.db.models.query import ValuesIterable
from django.utils.translation import gettext_lazy

from keychannel.clients.models import CorporateClient
from keychannel.core.exports import csv_stream
from keychannel.core.pagination import count_beyond, stored_count, sum_beyond
from keychannel.core.scoping import get_visible_or_404, in_lookup
from keychannel.network.models import Distributor

from . import rollups
from .choices import AbcClass, NpsClass, ReportStatus, SegmentLabel
from .models import (
    ClientMapping,
    ClientSegment,
    ColumnMapping,
    ProductMapping,
    SalesLine,
    SalesReport,
    Survey,
    SurveyInvitation,
    SurveyResponse,
    report_period_label,
)
from .segment_totals import SegmentClassTotal, stored_segments


def report_list(*, principal, filters: dict | None = None):
    filters = filters or {}
    qs = (
        SalesReport.objects.visible_to(principal)
        .select_related("distributor", "uploaded_by")
        .defer("content", "errors", "headers", "unmatched_clients", "unknown_products")
    )
    if distributor_id := filters.get("distributor_id"):
        qs = qs.filter(distributor_id=distributor_id)
    if status := filters.get("status"):
        qs = qs.filter(status=status)
    if period := filters.get("period"):
        qs = qs.filter(period=period)
    return qs


# What ReportOut reads of a report, and its change time (a cursor of the list followed by ``updated_since``).
REPORT_API_COLUMNS = ("id", "distributor_id", "period", "file_name", "file_hash", "source", "status", "row_count",
                      "line_count", "error_count", "total_amount", "total_quantity", "message", "supersedes_id",
                      "duplicate_of_id", "created_at", "updated_at", "applied_at")


class ReportRows(ValuesIterable):
    """A page of the API's reports list as the rows ``schemas.ReportOut`` reads (issue 22): a page built a
    SalesReport and a Distributor record per row (each through the model's init and its signals) for plain
    columns. No field of a report is hidden from anyone who may list it (the sales app declares no redaction)."""

    def __iter__(self):
        for row in super().__iter__():
            row["distributor.code"] = row.pop("distributor_code")  # ReportOut's alias
            row["period_label"] = report_period_label(row["period"])
            yield row


def report_api_list(*, principal, filters: dict | None = None):
    """``report_list`` (its scope and filters) as the API list's value rows."""
    qs = report_list(principal=principal, filters=filters).select_related(None)
    qs = qs.values(*REPORT_API_COLUMNS, distributor_code=F("distributor__code"))
    qs._iterable_class = ReportRows
    return qs


def report_get(*, principal, pk):
    return get_visible_or_404(
        SalesReport.objects.select_related("distributor", "uploaded_by", "supersedes", "duplicate_of", "mapping_template"),
        principal, pk=pk,
    )


def distributors_for_upload(principal):
    """Distributors the principal may upload reports for (reads and the upload rule agree)."""
    from keychannel.core.policies import can

    if not can(principal, "sales.salesreport.upload"):
        return Distributor.objects.none()
    qs = Distributor.objects.visible_to(principal)
    if principal.distributor_ids is not None:
        qs = qs.filter(pk__in=in_lookup(principal.distributor_ids))
    return qs.order_by("code")


def line_list(*, principal, filters: dict | None = None):
    filters = filters or {}
    qs = SalesLine.objects.visible_to(principal).select_related("distributor", "client", "product_line")
    if distributor_id := filters.get("distributor_id"):
        qs = qs.filter(distributor_id=distributor_id)
    if client_id := filters.get("client_id"):
        qs = qs.filter(client_id=client_id)
    if product_line_id := filters.get("product_line_id"):
        qs = qs.filter(product_line_id=product_line_id)
    if report_id := filters.get("report_id"):
        qs = qs.filter(report_id=report_id)
    if date_from := filters.get("date_from"):
        qs = qs.filter(date__gte=date_from)
    if date_to := filters.get("date_to"):
        qs = qs.filter(date__lte=date_to)
    if q := (filters.get("q") or "").strip():
        qs = qs.filter(Q(client__legal_name__icontains=q) | Q(client__tax_id__icontains=q) | Q(invoice__icontains=q))
    return qs


def line_api_list(*, principal, filters: dict | None = None):
    """``line_list`` for the API's page: the columns it answers, and, for the whole network unfiltered, the sales
    roll-up's proof that more lines than a count cap exist (``core.pagination.count_beyond``)."""
    qs = line_list(principal=principal, filters=filters).select_related(None).select_related("client").only(
        *LINE_API_COLUMNS)
    if principal.distributor_ids is None and not any(value not in (None, "") for value in (filters or {}).values()):
        qs = count_beyond(qs, applied_lines_beyond)
    return qs


# The columns the API's rows answer (schemas.LineOut): not every column of the line's distributor, client and
# product line.
LINE_API_COLUMNS = ("id", "report_id", "distributor_id", "client_id", "client__legal_name", "product_line_id", "date",
                    "quantity", "amount", "currency", "invoice")


def applied_lines_beyond(cap: int) -> bool:
    """Whether the network holds more than ``cap`` lines of applied reports (a subset of every line), from the
    sales roll-up (``rollups.SalesRollup``, kept by every write of lines and proven equal to a recount), read up to
    the first bucket past the cap (a few hundred of 48,000 rows at full size)."""
    return sum_beyond(rollups.SalesRollup.objects.all(), "line_count", cap)


def line_totals(qs) -> dict:
    return qs.aggregate(amount=Sum("amount"), quantity=Sum("quantity"), lines=Count("id"))


def csv_rows(header, rows):
    """Stream CSV text rows (formula-safe) for a StreamingHttpResponse: the one writer of core/exports.py."""
    return csv_stream(header, rows)


LINE_EXPORT_HEADER = ["date", "distributor", "client", "client_tax_id", "product_line", "quantity", "amount", "currency",
                      "invoice", "report_id"]


def line_export_rows(qs):
    fields = ("date", "distributor__code", "client__legal_name", "client__tax_id", "product_line__name", "quantity",
              "amount", "currency", "invoice", "report_id")
    yield from qs.order_by("date", "pk").values_list(*fields).iterator(chunk_size=5000)


ERROR_EXPORT_HEADER = ["row", "column", "reason", "value", "message"]

# The API's CSV keeps these machine names; the pages' downloads head their columns in the reader's language.
EXPORT_LABELS = {
    "date": gettext_lazy("Date"), "distributor": gettext_lazy("Distributor"), "client": gettext_lazy("Client"),
    "client_tax_id": gettext_lazy("Client tax id"), "product_line": gettext_lazy("Product line"),
    "quantity": gettext_lazy("Quantity"), "amount": gettext_lazy("Amount"), "currency": gettext_lazy("Currency"),
    "invoice": gettext_lazy("Invoice"), "report_id": gettext_lazy("Report"), "row": gettext_lazy("Row"),
    "column": gettext_lazy("Column"), "reason": gettext_lazy("Reason code"), "value": gettext_lazy("Value"),
    "message": gettext_lazy("Message"),
}


def translated_header(header) -> list[str]:
    return [str(EXPORT_LABELS.get(name, name)) for name in header]


def report_error_rows(report: SalesReport):
    for error in report.errors or []:
        yield [error.get("row"), error.get("column"), error.get("reason"), error.get("value"), error.get("message")]


def mapping_lists(*, principal, distributor):
    return {
        "columns": ColumnMapping.objects.visible_to(principal).filter(distributor=distributor).order_by("-is_default", "name"),
        "products": ProductMapping.objects.visible_to(principal).filter(distributor=distributor).select_related("product_line"),
        "clients": ClientMapping.objects.visible_to(principal).filter(distributor=distributor).select_related("client"),
    }


# ---------------------------------------------------------------------------------------- segments


def segment_years(*, principal) -> list[int]:
    """The years with segments, newest first: one index probe per year (the newest, then the newest before it),
    where ``DISTINCT year`` read all the network's segments (400,000 at full size) on every view of the page. The
    probes run in one recursive statement: a statement per probe was four round trips on every view (issue 22)."""
    scoped, params = (ClientSegment.objects.visible_to(principal).order_by().values("year").query.sql_with_params())
    sql = (f"WITH RECURSIVE probe(year) AS (SELECT * FROM (SELECT s.year FROM ({scoped}) s ORDER BY s.year DESC "
           f"LIMIT 1) newest "
           f"UNION ALL SELECT (SELECT s.year FROM ({scoped}) s WHERE s.year < probe.year ORDER BY s.year DESC LIMIT 1) "
           f"FROM probe WHERE probe.year IS NOT NULL) SELECT year FROM probe WHERE year IS NOT NULL")
    with connection.cursor() as cursor:
        cursor.execute(sql, (*params, *params))
        return [row[0] for row in cursor.fetchall()]


def segment_list(*, principal, filters: dict | None = None):
    filters = filters or {}
    qs = ClientSegment.objects.visible_to(principal).select_related("client", "distributor")
    for name in ("year", "distributor_id", "label", "abc_class", "nps_class", "client_id"):
        if value := filters.get(name):
            qs = qs.filter(**{name: value})
    if filters.get("small_batches") is not None:
        qs = qs.filter(small_batches=filters["small_batches"])
    if q := (filters.get("q") or "").strip():
        qs = qs.filter(Q(client__legal_name__icontains=q) | Q(client__tax_id__icontains=q))
    return qs


SEGMENT_ROW_FIELDS = ("id", "distributor_id", "client_id", "year", "volume", "quantity", "previous_volume", "trend",
                      "months_active", "months_covered", "last_purchase", "recency_days", "share_of_potential",
                      "small_batches", "abc_class", "nps_class", "recommend", "label")


def segment_rows(*, principal, filters: dict | None = None):
    """The segment list as plain rows (with the client's name, key-account flag and potential): what the API
    returns, without building two model instances per row."""
    rows = segment_list(principal=principal, filters=filters).values(
        *SEGMENT_ROW_FIELDS, client_name=F("client__legal_name"), is_key_account=F("client__is_key_account"),
        potential_annual_volume=F("client__potential_annual_volume"),
    )
    # The whole network, unfiltered or by year: the segments' yearly totals (kept by triggers, equal to a recount)
    # tell the count from a few dozen rows, where the capped count read up to 100,001 index entries
    # (core.pagination).
    year = (filters or {}).get("year")
    if principal.distributor_ids is None and not any(
            value not in (None, "") for name, value in (filters or {}).items() if name != "year"):
        rows = stored_count(rows, lambda: stored_segments(year=year or None))
    return rows


SHARE_CAP_PERCENT = 100


def share_of_potential_label(share) -> str:
    """A segment's share of potential for people: "35 %", or "> 100 % (20×)" when the client bought more than its
    recorded potential (the potential is too low; the segments page says so), never "2,011 %"."""
    from keychannel.core.templatetags.kc_format import format_number, format_percent

    if share is None:
        return "—"
    if share * 100 > SHARE_CAP_PERCENT:
        return f"> {format_percent(SHARE_CAP_PERCENT)} ({format_number(share, 0 if share >= 10 else 1)}×)"
    return format_percent(share * 100)


# The charts draw the biggest clients only: the Pareto's first bars and the matrix's points.
PARETO_CLIENTS = 200
MATRIX_CLIENTS = 500


def _network_wide(principal, distributor_id) -> bool:
    """Whether a segments figure covers every segment of the year (the stored totals answer it)."""
    return principal.distributor_ids is None and not distributor_id


def segment_counts(*, principal, year: int, distributor_id=None) -> dict:
    """The year's segments counted by label and by ABC class, and their total volume, in one grouped query (the
    segments page's label cards; the charts' Pareto total)."""
    if _network_wide(principal, distributor_id):
        # the stored totals (segment_totals.py, kept by triggers, equal to a recount): a dozen rows, where the
        # grouped count read the year's every segment (issue 22)
        rows = SegmentClassTotal.objects.filter(year=year).values("label", "abc_class", "volume", n=F("segments"))
    else:
        qs = segment_list(principal=principal, filters={"year": year, "distributor_id": distributor_id})
        rows = qs.order_by().values("label", "abc_class").annotate(n=Count("id"), volume=Sum("volume"))
    labels, abc, total = {}, {}, Decimal(0)
    for row in rows:
        labels[row["label"]] = labels.get(row["label"], 0) + row["n"]
        abc[row["abc_class"]] = abc.get(row["abc_class"], 0) + row["n"]
        total += row["volume"] or Decimal(0)
    return {
        "labels": [{"label": str(SegmentLabel(k).label), "key": k, "count": labels.get(k, 0)} for k in SegmentLabel.values],
        "abc": [{"key": k, "count": abc.get(k, 0)} for k in AbcClass.values],
        "total": total,
    }


def _biggest_clients(segments, limit: int) -> list[dict]:
    """The ``limit`` clients of ``segments`` with the biggest volume summed over their distributors, biggest first,
    with their name, potential and key-account flag, in one statement. The segments are summed and ranked alone and
    only the chosen clients are read, each summed again through the segments' client index: the ORM's ``GROUP BY``
    with the client's columns joined every segment's client row before ranking (2,648 look-ups for 500 rows at the
    issue-10 size, most of the ranking's time; issue 22)."""
    ranked = (segments.order_by().values("client_id").annotate(total=Sum("volume"))
              .order_by("-total", "client_id").values("client_id")[:limit])
    volume = (segments.order_by().filter(client_id=OuterRef("pk")).values("client_id")
              .annotate(total=Sum("volume")).values("total"))
    return list(CorporateClient.objects.filter(pk__in=ranked).annotate(volume=Subquery(volume))
                .order_by("-volume", "pk").values(client_id=F("pk"), client__legal_name=F("legal_name"),
                                                   client__potential_annual_volume=F("potential_annual_volume"),
                                                   client__is_key_account=F("is_key_account"), volume=F("volume")))


def segment_charts(*, principal, year: int, distributor_id=None) -> dict:
    """The data of the three charts, from the stored segments, in six queries whatever the client count.

    Network-wide, a client buying from two distributors counts once with its summed volume. The database sums
    and ranks the clients and hands over the ``MATRIX_CLIENTS`` biggest only (it handed over every client of
    the year before: 200,000 rows per page view at the issue-10 size); the totals come from one grouped count.
    """
    qs = segment_list(principal=principal, filters={"year": year, "distributor_id": distributor_id})
    top = _biggest_clients(qs, MATRIX_CLIENTS)
    counts = segment_counts(principal=principal, year=year, distributor_id=distributor_id)
    total = counts["total"]
    pareto, cumulative = [], Decimal(0)
    for r in top[:PARETO_CLIENTS]:
        cumulative += r["volume"]
        pareto.append({"name": r["client__legal_name"], "volume": float(r["volume"]),
                       "cumulative": float(cumulative / total * 100) if total else 0.0})
    matrix = []
    months = qs.values_list("months_covered", flat=True).first() or 12
    for r in top:
        potential = r["client__potential_annual_volume"] or Decimal(0)
        share = float(r["volume"] * 12 / months / potential * 100) if potential else None
        if share is not None:
            # Above the recorded potential the share is drawn at the cap and named as such (the potential is
            # too low), never as "2,011 %" on a scale that flattens every other client.
            matrix.append({"name": r["client__legal_name"], "volume": float(r["volume"]),
                           "share": min(round(share, 1), SHARE_CAP_PERCENT), "share_actual": round(share, 1),
                           "over": share > SHARE_CAP_PERCENT, "key": r["client__is_key_account"]})
    return {
        "pareto": pareto,
        "matrix": matrix,
        "labels": counts["labels"],
        "abc": counts["abc"],
        "nps": nps_summary(principal=principal, distributor_id=distributor_id),
        "total_volume": float(total),
        "over_potential": sum(1 for m in matrix if m["over"]),
        "share_cap": SHARE_CAP_PERCENT,
    }


# ---------------------------------------------------------------------------------------- surveys


def survey_list(*, principal):
    return Survey.objects.visible_to(principal).select_related("distributor").annotate(
        invitation_total=Count("invitations", distinct=True), response_total=Count("responses", distinct=True)
    )


def survey_get(*, principal, pk):
    return get_visible_or_404(Survey.objects.select_related("distributor"), principal, pk=pk)


def invitation_list(*, principal, survey):
    return SurveyInvitation.objects.visible_to(principal).filter(survey=survey).select_related("client")


def response_list(*, principal, filters: dict | None = None):
    filters = filters or {}
    qs = SurveyResponse.objects.visible_to(principal).select_related("client", "distributor", "survey")
    for name in ("survey_id", "client_id", "distributor_id"):
        if value := filters.get(name):
            qs = qs.filter(**{name: value})
    return qs


def nps_summary(*, principal, distributor_id=None, survey_id=None, client_id=None) -> dict:
    """NPS = % promoters − % detractors, over the latest answer per client contact invitation in scope."""
    qs = response_list(principal=principal, filters={"distributor_id": distributor_id, "survey_id": survey_id,
                                                     "client_id": client_id})
    histogram = dict(qs.values("recommend").annotate(n=Count("id")).order_by().values_list("recommend", "n"))
    total = sum(histogram.values())
    promoters = sum(n for score, n in histogram.items() if score >= 9)
    detractors = sum(n for score, n in histogram.items() if score <= 6)
    return {
        "responses": total,
        "promoters": promoters,
        "passives": total - promoters - detractors,
        "detractors": detractors,
        "nps": round((promoters - detractors) * 100 / total) if total else None,
        "histogram": [histogram.get(score, 0) for score in range(11)],
        "classes": {NpsClass.PROMOTER: promoters, NpsClass.PASSIVE: total - promoters - detractors,
                    NpsClass.DETRACTOR: detractors},
    }


def nps_by_distributor(*, principal) -> list[dict]:
    rows = (
        SurveyResponse.objects.visible_to(principal).filter(distributor__isnull=False)
        .values("distributor_id", "distributor__code", "distributor__legal_name")
        .annotate(total=Count("id"), promoters=Count("id", filter=Q(recommend__gte=9)),
                  detractors=Count("id", filter=Q(recommend__lte=6)))
        .order_by("distributor__code")
    )
    return [
        {**r, "nps": round((r["promoters"] - r["detractors"]) * 100 / r["total"]) if r["total"] else None}
        for r in rows
    ]


def current_year(principal) -> int:
    years = segment_years(principal=principal)
    return years[0] if years else date.today().year


def sample_report_rows(*, principal, distributor, bad: bool = False) -> tuple[date, list[list[str]]]:
    """A ready-to-upload sell-out file for the month after the distributor's latest report, from its own
    clients and product codes (``bad``: rows 3, 5 and 8 carry a wrong date, quantity and CUI)."""
    from .parsing import cui_is_valid

    latest = SalesReport.objects.filter(distributor=distributor, status="applied").order_by("-period").values_list(
        "period", flat=True).first()
    month = date.today().replace(day=1) if latest is None else (latest.replace(day=28) + timedelta(days=4)).replace(day=1)
    clients = list(
        CorporateClient.objects.visible_to(principal).filter(distributor=distributor).exclude(tax_id="")
        .order_by("pk").values_list("tax_id", "legal_name")[:20]
    )
    codes = list(ProductMapping.objects.filter(distributor=distributor).values_list("product_code", "description")[:6])
    rows = []
    for index, (tax_id, name) in enumerate(clients):
        if not codes:
            break
        code, description = codes[index % len(codes)]
        quantity = 1 + index % 7
        amount = Decimal(850 + 137 * index) * quantity
        rows.append([f"{min(index + 1, 28):02d}.{month:%m.%Y}", f"FV{month:%y%m}{index + 1:04d}", f"RO{tax_id}", name,
                     code, description, str(quantity), f"{amount:.2f}".replace(".", ",")])
    if bad and len(rows) >= 7:
        rows[1][0] = f"31.02.{month:%Y}"
        rows[3][6] = "-2"
        wrong = rows[6][2][:-1] + str((int(rows[6][2][-1]) + 1) % 10)
        rows[6][2] = wrong if not cui_is_valid(wrong[2:]) else wrong[:-1] + str((int(wrong[-1]) + 1) % 10)
    return month, rows


SAMPLE_HEADER = ["Data factură", "Nr. factură", "CUI client", "Denumire client", "Cod produs", "Denumire produs",
                 "Cantitate", "Valoare fără TVA (RON)"]


def sell_out_by_month(*, principal, distributor_ids, start: date, end: date) -> dict[int, dict[date, Decimal]]:
    """{distributor_id: {first day of month: amount}} of the lines of applied reports dated in [start, end]:
    one grouped query (the scorecard's sell-out trend)."""
    from django.db.models.functions import TruncMonth

    rows = (SalesLine.objects.visible_to(principal)
            .filter(distributor_id__in=list(distributor_ids), report__status="applied", date__gte=start, date__lte=end)
            .annotate(month=TruncMonth("date")).order_by().values("distributor_id", "month")
            .annotate(amount=Sum("amount")).values_list("distributor_id", "month", "amount"))
    out: dict[int, dict[date, Decimal]] = {}
    for distributor_id, month, amount in rows:
        month = month.date() if hasattr(month, "date") and callable(month.date) else month
        out.setdefault(distributor_id, {})[month] = Decimal(amount or 0)
    return out


def applied_sales_lines():
    """Unscoped, for the program's goal metrics: only lines of applied reports (a superseded or rejected file does
    not count)."""
    return SalesLine._base_manager.filter(report__status=ReportStatus.APPLIED)


def revenue_stored(distributor_ids, start, end, *, grouped: bool):
    """The amount of ``applied_sales_lines()`` dated ``start``..``end`` from the sales roll-up, when the period is
    made of whole months (it answers those exactly); None for any other period (the caller counts the lines)."""
    if not rollups.whole_months(start, end):
        return None
    return rollups.revenue(distributor_ids, start, end, grouped=grouped)


def revenue_stored_rows(distributor_ids, start, end):
    """:func:`revenue_stored`'s rows and sum as a query (a metric's ``stored_rows``; None when it answers None)."""
    return rollups.revenue_rows(distributor_ids, start, end) if rollups.whole_months(start, end) else None


# ---------------------------------------------------------------------------------------- fixing a rejected report

PROBLEM_VALUES_SHOWN = 200  # distinct values listed per reason (the counts are always complete)
ROWS_SHOWN = 10  # row numbers listed per value


def report_problems(report: SalesReport) -> list[dict]:
    """The report's row problems grouped by reason, most frequent first: ``reason``, ``label``, ``count`` (rows),
    ``fixable`` (in the app, without a new file), ``values`` (the distinct values affected, each with its
    ``count`` and first ``rows``) and ``value_total``. One read of the stored errors; no query."""
    from .choices import ErrorReason
    from .services import FIXABLE_IN_APP

    labels = dict(ErrorReason.choices)
    groups: dict[str, dict] = {}
    for error in report.errors or []:
        reason = error.get("reason", "")
        group = groups.setdefault(reason, {"reason": reason, "label": str(labels.get(reason, reason)), "count": 0,
                                           "fixable": reason in FIXABLE_IN_APP, "values": {}})
        group["count"] += 1
        value = str(error.get("value") or error.get("column") or "")
        entry = group["values"].setdefault(value, {"value": value, "count": 0, "rows": []})
        entry["count"] += 1
        if len(entry["rows"]) < ROWS_SHOWN:
            entry["rows"].append(error.get("row"))
    out = []
    for group in sorted(groups.values(), key=lambda g: (-g["count"], g["reason"])):
        values = sorted(group["values"].values(), key=lambda v: (-v["count"], v["value"]))
        group["value_total"] = len(values)
        group["values"] = values[:PROBLEM_VALUES_SHOWN]
        out.append(group)
    return out


def client_suggestions(*, principal, name: str, tax_id: str = "", limit: int = 5,
                       distributor_id: int | None = None) -> list[CorporateClient]:
    """Existing clients an unmatched row may be, among those the principal sees: the one matcher of the clients
    app (``clients.selectors.client_matches`` through the duplicate check). A look-alike with another tax id is
    another company and is not suggested; a match the principal may not see is never named. With
    ``distributor_id`` (a report's), only that distributor's clients: a row maps to nothing else."""
    from keychannel.clients.matching import normalize_tax_id
    from keychannel.clients.selectors import client_find_duplicates

    if not (name or tax_id):
        return []
    check = client_find_duplicates(principal=principal, legal_name=name, tax_id=tax_id, limit=limit)
    tax = normalize_tax_id(tax_id)
    return [c.client for c in check.candidates if not (tax and c.client.tax_id and c.client.tax_id != tax)
            and (distributor_id is None or c.client.distributor_id == distributor_id)]


def product_line_choices(distributor):
    """The product lines a code may map to: the distributor's agreement first, then every other active line."""
    from keychannel.network.models import ProductLine

    agreed = set(distributor.product_lines.values_list("pk", flat=True))
    lines = list(ProductLine.objects.filter(Q(active=True) | Q(pk__in=agreed)).order_by("name"))
    return sorted(lines, key=lambda line: (line.pk not in agreed, line.name)), agreed


def report_fix_plan(*, principal, report: SalesReport) -> dict:
    """What the bulk fix of a rejected report proposes: each unmatched client with its suggestions and the
    proposed action (``map`` to the best suggestion, else ``create`` from the file), each unknown product code
    with the proposed product line (the distributor's only agreed line, else none)."""
    lines, agreed = product_line_choices(report.distributor)
    only_line = next(iter(agreed)) if len(agreed) == 1 else None
    clients = []
    for entry in report.unmatched_clients or []:
        suggestions = client_suggestions(principal=principal, name=entry.get("name", ""), tax_id=entry.get("tax_id", ""),
                                         distributor_id=report.distributor_id)
        clients.append({**entry, "suggestions": suggestions,
                        "action": f"map:{suggestions[0].pk}" if suggestions else "create"})
    products = [{**entry, "product_line_id": only_line} for entry in report.unknown_products or []]
    return {"clients": clients, "products": products, "product_lines": lines, "agreed": agreed}
