"""Writes of the sales app: importing reports (whole or not at all), mappings, segments and surveys."""

from __future__ import annotations

import gc
import hashlib
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keychannel.clients.models import CorporateClient
from keychannel.clients.services import DuplicateClientError, client_create
from keychannel.core.deletion import delete_unreferenced
from keychannel.core.errors import ConflictError
from keychannel.core.events import emit
from keychannel.core.policies import require
from keychannel.core.text import printable
from keychannel.network.models import Distributor

from . import limits, parsing, segmentation
from .choices import ErrorReason, ReportSource, ReportStatus
from .models import (
    ClientMapping,
    ClientSegment,
    ColumnMapping,
    ProductMapping,
    SalesLine,
    SalesReport,
)

DEFAULT_TEMPLATE = "Default"
# Row errors that *Validate again* can clear without a new file (mappings, clients): only a report rejected
# for these keeps its file; any other error needs a corrected upload, so the file is not kept.
FIXABLE_IN_APP = {ErrorReason.MISSING_COLUMN, ErrorReason.UNKNOWN_CLIENT, ErrorReason.UNKNOWN_PRODUCT}
LINE_COLUMNS = ("report_id", "distributor_id", "client_id", "product_line_id", "date", "quantity", "amount",
                "currency", "invoice", "row")


def file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_period(value) -> date | None:
    """"2026-10" → date(2026, 10, 1); None/"" → None; anything else is a 422."""
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value.replace(day=1)
    try:
        return datetime.strptime(str(value).strip(), "%Y-%m").date()
    except ValueError:
        raise ValidationError({"period": _("Use the form YYYY-MM.")}) from None


# ---------------------------------------------------------------------------------------- import


@transaction.atomic
def report_import(
    *, principal, distributor: Distributor, data: bytes, file_name: str, period=None, mapping: dict | None = None,
    mapping_name: str = "", supersede: bool = False, source: str = ReportSource.UPLOAD, progress=None,
) -> SalesReport:
    """Read, validate and (when every row is good) apply one file. Returns the stored report.

    The file applies whole or not at all: the lines, the report's status and the segments are written in this
    one transaction. A file whose content was applied before for this distributor is recorded as a duplicate
    and changes nothing; a different file for a month that already has an applied report waits (status
    ``conflict``) unless ``supersede`` is set. ``progress(done, total)`` hears the rows checked (background imports).
    """
    require(principal, "sales.salesreport.upload", distributor)
    if not data:
        raise ValidationError({"file": _("The file is empty.")})
    check_upload_size(len(data))
    period = parse_period(period)
    # One import per distributor at a time: the second waits here instead of racing on the period.
    distributor = Distributor.objects.select_for_update().get(pk=distributor.pk)
    digest = file_hash(data)
    template = None
    if mapping_name:
        template = ColumnMapping.objects.filter(distributor=distributor, name=mapping_name).first()
        if template is None:
            raise ValidationError({"mapping": _("No column mapping named “%(name)s” for this distributor.") % {"name": mapping_name}})
    report = SalesReport(
        distributor=distributor, file_name=printable(file_name or "report")[:200], file_hash=digest, content=data,
        source=source, uploaded_by=principal.user, period=period, mapping_template=template,
    )
    earlier = SalesReport.objects.filter(distributor=distributor, file_hash=digest, status=ReportStatus.APPLIED).first()
    if earlier is not None:
        report.status = ReportStatus.DUPLICATE
        report.duplicate_of = earlier
        report.period = earlier.period
        report.content = b""
        report.row_count, report.line_count = earlier.row_count, 0
        report.message = _("This file was already imported on %(when)s; nothing was added.") % {
            "when": timezone.localtime(earlier.applied_at).strftime("%Y-%m-%d %H:%M") if earlier.applied_at else "—"
        }
        report.save()
        return report
    return _process(principal, report, mapping=mapping, supersede=supersede, requested_period=period,
                    progress=progress)


@transaction.atomic
def report_reprocess(*, principal, report: SalesReport, mapping: dict | None = None, save_as: str = "",
                     supersede: bool = False, progress=None) -> SalesReport:
    """Validate a stored (rejected or waiting) report again, after the user fixed mappings or clients."""
    require(principal, "sales.salesreport.upload", report.distributor)
    report = SalesReport.objects.select_for_update().get(pk=report.pk)
    if report.status not in (ReportStatus.REJECTED, ReportStatus.CONFLICT):
        raise ConflictError(_("Only a rejected or waiting report can be validated again."))
    Distributor.objects.select_for_update().get(pk=report.distributor_id)
    if mapping and save_as:
        report.mapping_template = mapping_save(principal=principal, distributor=report.distributor, name=save_as,
                                               columns=mapping)
    if not report.content:
        raise ConflictError(_("This report's file is no longer kept; upload the corrected file again."))
    earlier = SalesReport.objects.filter(
        distributor_id=report.distributor_id, file_hash=report.file_hash, status=ReportStatus.APPLIED
    ).exclude(pk=report.pk).first()
    if earlier is not None:
        raise ConflictError(_("The same file was imported meanwhile (report %(id)s).") % {"id": earlier.pk})
    requested = report.period if report.status == ReportStatus.CONFLICT else None
    return _process(principal, report, mapping=mapping, supersede=supersede, requested_period=requested,
                    progress=progress)


def check_upload_size(size: int) -> None:
    """The one upload cap (settings.KEYCHANNEL_MAX_UPLOAD_MB), checked by the pages and the API before they read
    the upload and here again for every caller."""
    try:
        limits.check_size(size)
    except limits.LimitError as exc:
        raise ValidationError({"file": str(exc)}) from None


def _load_table(report: SalesReport) -> parsing.Table:
    """The file's header; a CSV's rows are read while they are checked (parsing.open_table), so a FileFormatError
    can still come from the rows: ``_process`` turns it into the same ValidationError as here."""
    try:
        table = parsing.open_table(bytes(report.content), report.file_name)
    except parsing.FileFormatError as exc:
        raise ValidationError({"file": str(exc)}) from None
    report.file_format, report.encoding, report.delimiter = table.format, table.encoding, table.delimiter
    report.headers = table.headers
    return table


def _choose_mapping(report, table, mapping):
    if mapping:
        unknown = [f for f in mapping if f not in parsing.FIELDS]
        if unknown:
            raise ValidationError({"mapping": _("Unknown fields: %(f)s") % {"f": ", ".join(unknown)}})
        return {f: h for f, h in mapping.items() if h}
    template = report.mapping_template or ColumnMapping.objects.filter(
        distributor_id=report.distributor_id, is_default=True
    ).first()
    report.mapping_template = template
    return parsing.suggest_mapping(table.headers, template.columns if template else None)


def _lookups(distributor_id):
    """Two dict look-ups for the validator, in three queries whatever the file size.

    The distributor's whole client list, not the clients the file names: finding those took a pass over every row
    before the first line could go to the database (issue 22), and a distributor serves thousands of clients at
    most (a query of three short columns), while a file has up to MAX_ROWS lines."""
    # Only the clients this distributor serves: its lines show their client to its people, and a client served
    # elsewhere (or direct) is not theirs to see (DESIGN.md §2). Such a row is an unknown client, named by nothing.
    by_tax, by_code = {}, {}
    for tax_id, code, pk in CorporateClient.objects.filter(distributor_id=distributor_id).values_list(
            "tax_id", "code", "pk"):
        if tax_id:
            by_tax[tax_id] = pk
        if code:
            by_code[code] = pk
    aliases = dict(ClientMapping.objects.filter(distributor_id=distributor_id, client__distributor_id=distributor_id)
                   .values_list("source_key", "client_id"))
    products = dict(ProductMapping.objects.filter(distributor_id=distributor_id).values_list("product_code", "product_line_id"))
    products_folded = {code.strip().upper(): pk for code, pk in products.items()}

    def find_client(tax_id, client_code):
        return (aliases.get(tax_id) if tax_id else None) or (by_tax.get(tax_id) if tax_id else None) or (
            aliases.get(f"code:{client_code}") if client_code else None) or (
            by_code.get(client_code) if client_code else None)

    def find_product(code):
        return products.get(code) or products_folded.get(code.strip().upper())

    return find_client, find_product


def _process(principal, report: SalesReport, *, mapping, supersede, requested_period, progress=None) -> SalesReport:
    with without_cyclic_gc():
        table = _load_table(report)
        used = _choose_mapping(report, table, mapping)
        report.mapping = used
        find_client, find_product = _lookups(report.distributor_id)
        lines = LineWriter(report)
        try:
            with lines:  # on PostgreSQL the good lines go into COPY while the rows are still being read and checked
                result = parsing.validate_rows(table, used, find_client=find_client, find_product=find_product,
                                               period=requested_period, progress=progress, sink=lines.write)
        except parsing.FileFormatError as exc:  # unreadable further down: as unreadable at the top, nothing stays
            raise ValidationError({"file": str(exc)}) from None
        del table
    report.period = result.period
    report.row_count = result.row_count
    report.errors = [e.as_dict() for e in result.errors]
    report.error_count = len(report.errors)
    report.unmatched_clients = [{"key": k, **v, "rows": v["rows"][:20], "row_total": len(v["rows"])}
                                for k, v in result.unmatched_clients.items()]
    report.unknown_products = [{"code": k, "name": v["name"], "rows": v["rows"][:20], "row_total": len(v["rows"])}
                               for k, v in result.unknown_products.items()]
    if not result.ok:
        lines.discard()  # whole or nothing: the lines sent before the first bad row go
        report.status = ReportStatus.REJECTED
        report.message = _("%(n)d problems found; nothing was imported.") % {"n": report.error_count}
        if not result.errors or any(e.reason not in FIXABLE_IN_APP for e in result.errors):
            report.content = b""  # only the error report is kept: fixing this takes a new file
        _save_report(report)
        return report
    current = SalesReport.objects.filter(
        distributor_id=report.distributor_id, period=report.period, status=ReportStatus.APPLIED
    ).exclude(pk=report.pk).first()
    if current is not None and not supersede:
        lines.discard()
        report.status = ReportStatus.CONFLICT
        report.message = _("A report for %(p)s is already applied (%(f)s). Confirm to replace it.") % {
            "p": report.period.strftime("%Y-%m"), "f": current.file_name}
        report.supersedes = current
        _save_report(report)
        return report
    if current is not None:
        current.status = ReportStatus.SUPERSEDED
        current.line_count = 0
        current.message = _("Replaced by a corrected file.")
        current.save()  # before its lines go: leaving "applied" takes them out of the sales roll-up (sales/rollups.py)
        SalesLine.objects.filter(report=current).delete()
        report.supersedes = current
    report.status = ReportStatus.APPLIED
    report.applied_at = timezone.now()
    report.message = ""
    report.line_count = result.line_count
    report.total_amount = result.total_amount
    report.total_quantity = result.total_quantity
    # Its lines enter the sales roll-up as the import counted them (one month; the amounts as stored: parsing rounds
    # to the column's decimals), instead of being read back when the report becomes applied (SalesReport.save).
    report.lines_counted = {(report.distributor_id, report.period): [result.line_count, result.total_amount]}
    try:
        with transaction.atomic():
            _save_report(report)
    except IntegrityError:
        raise ConflictError(_("Another report for this month was applied at the same moment; try again.")) from None
    lines.keep()
    if report.mapping_template is None or mapping:
        template, _created = ColumnMapping.objects.update_or_create(
            distributor_id=report.distributor_id, name=report.mapping_template.name if report.mapping_template else DEFAULT_TEMPLATE,
            defaults={"columns": used, "is_default": True, "created_by": principal.user},
        )
        ColumnMapping.objects.filter(distributor_id=report.distributor_id, is_default=True).exclude(pk=template.pk).update(is_default=False)
        report.mapping_template = template
        report.save(update_fields=["mapping_template", "updated_at"])
    segments_refresh(distributor_ids=[report.distributor_id], years=[report.period.year])
    emit("sales_report.applied", report)
    return report


@contextmanager
def without_cyclic_gc():
    """Reading and checking a file builds a list per row (hundreds of thousands of containers, no reference
    cycles): with the cyclic collector on, each of its passes walks every object of the process again, which
    doubled the time to read a 100,000-line file. Reference counting still frees everything; the collector is
    back on (as it was) when the block ends."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _save_report(report: SalesReport) -> None:
    """Save the report; on PostgreSQL its file (up to the upload cap) goes as one binary parameter afterwards, not
    as a hex literal inside the INSERT (twice its size, escaped by the driver and parsed by the server)."""
    content = bytes(report.content or b"")
    if connection.vendor != "postgresql" or not content:
        report.save(force_insert=report._state.adding)
        return
    import psycopg

    report.content = b""
    report.save(force_insert=report._state.adding)
    with psycopg.Cursor(connection.connection) as cursor:  # server-side binding: %b sends the bytes as they are
        cursor.execute(f"UPDATE {SalesReport._meta.db_table} SET content = %b WHERE id = %s", [content, report.pk])
    report.content = content


COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


class LineWriter:
    """Where an import's good lines go, in its transaction (issue 22: an import as fast as a raw load).

    PostgreSQL: the report's id is taken from its sequence first, so the lines stream into ``COPY`` (text format)
    while the file is still being checked and the server inserts them meanwhile; the report row itself is written
    after the check (the foreign key is checked at commit). A savepoint holds the lines: ``discard`` (a bad row,
    a month already applied) rolls them back, ``keep`` releases it. SQLite: the lines are kept and written with
    one ``executemany`` by ``keep``, once the report has its id."""

    def __init__(self, report: SalesReport):
        self.report = report
        self.pg = connection.vendor == "postgresql"
        self.rows: list[tuple] = []
        self.copy = None
        self.reserved = False

    def __enter__(self):
        if self.pg:
            if self.report.pk is None:  # a new report (a rejected one validated again has its id)
                self.reserved = True
                with connection.cursor() as cursor:
                    cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [SalesReport._meta.db_table])
                    self.report.pk = cursor.fetchone()[0]
            self.savepoint = transaction.savepoint()
            self._cursor = connection.cursor()
            self._copy_context = self._cursor.cursor.copy(
                f"COPY {SalesLine._meta.db_table} ({', '.join(LINE_COLUMNS)}) FROM STDIN")
            self.copy = self._copy_context.__enter__()
        return self

    def __exit__(self, *exc):
        if self.copy is not None:
            self.copy = None
            try:
                self._copy_context.__exit__(*exc)
            finally:
                self._cursor.close()
        return False

    def write(self, lines: list[tuple]) -> None:
        """A batch of ``(client_id, product_line_id, date, quantity, amount, currency, invoice, row)``."""
        if not self.pg:
            self.rows.extend(lines)
            return
        head = f"{self.report.pk}\t{self.report.distributor_id}\t"
        self.copy.write("".join([
            f"{head}{client}\t{product}\t{day.isoformat()}\t{quantity}\t{amount}\t{currency}\t"
            f"{invoice.translate(COPY_ESCAPES)}\t{row}\n"
            for client, product, day, quantity, amount, currency, invoice, row in lines]))

    def discard(self) -> None:
        if self.pg:
            transaction.savepoint_rollback(self.savepoint)
            if self.reserved:
                self.report.pk = None
        self.rows = []

    def keep(self) -> None:
        if self.pg:
            transaction.savepoint_commit(self.savepoint)
            return
        insert_lines(self.report, self.rows)  # already in the sales roll-up: counted when the report was applied
        self.rows = []


def insert_lines(report: SalesReport, lines: list[tuple]) -> None:
    """SQLite: the lines (as ``LineWriter.write`` gets them) in one executemany of plain values, in the caller's
    transaction (the ORM's bulk_create spends most of its time building SQL per batch)."""
    table = SalesLine._meta.db_table
    marks = ", ".join(["%s"] * len(LINE_COLUMNS))
    sql = f"INSERT INTO {table} ({', '.join(LINE_COLUMNS)}) VALUES ({marks})"
    with connection.cursor() as cursor:
        cursor.executemany(sql, [
            (report.pk, report.distributor_id, client, product, day.isoformat(), quantity, amount, currency, invoice,
             row)
            for client, product, day, quantity, amount, currency, invoice, row in lines
        ])


def reports_purge(*, days: int | None = None, now=None) -> int:
    """Delete the rejected and waiting reports (their error reports and any file they keep) created more than
    ``days`` ago (settings.KEYCHANNEL_REJECTED_UPLOAD_DAYS). Applied, superseded and duplicate reports are the
    record of what was imported and stay. A system job (``keychannel purge-uploads``): no principal."""
    days = settings.KEYCHANNEL_REJECTED_UPLOAD_DAYS if days is None else days
    cutoff = (now or timezone.now()) - timedelta(days=days)
    stale = SalesReport.objects.filter(status__in=[ReportStatus.REJECTED, ReportStatus.CONFLICT], created_at__lt=cutoff)
    deleted = 0
    while True:  # in batches: each report row may hold a file of up to the upload cap
        with transaction.atomic():
            ids = list(stale.order_by("pk").values_list("pk", flat=True)[:500])
            if not ids:
                break
            SalesReport.objects.filter(pk__in=ids).delete()
            deleted += len(ids)
    return deleted


# ---------------------------------------------------------------------------------------- mappings


@transaction.atomic
def mapping_save(*, principal, distributor, name: str, columns: dict, make_default: bool = True) -> ColumnMapping:
    require(principal, "sales.mapping.change", distributor)
    name = (name or "").strip()[:80]
    if not name:
        raise ValidationError({"name": _("Give the template a name.")})
    columns = {f: h for f, h in (columns or {}).items() if h}
    unknown = [f for f in columns if f not in parsing.FIELDS]
    if unknown:
        raise ValidationError({"columns": _("Unknown fields: %(f)s") % {"f": ", ".join(unknown)}})
    if missing := parsing.missing_fields(columns):
        raise ValidationError({"columns": _("Map these fields too: %(f)s") % {"f": ", ".join(missing)}})
    template, _created = ColumnMapping.objects.update_or_create(
        distributor=distributor, name=name,
        defaults={"columns": columns, "is_default": make_default, "created_by": principal.user},
    )
    if make_default:
        ColumnMapping.objects.filter(distributor=distributor, is_default=True).exclude(pk=template.pk).update(is_default=False)
    return template


@transaction.atomic
def mapping_delete(*, principal, mapping: ColumnMapping) -> None:
    require(principal, "sales.mapping.change", mapping.distributor)
    mapping.delete()


@transaction.atomic
def product_mapping_set(*, principal, distributor, product_code: str, product_line, description: str = "") -> ProductMapping:
    require(principal, "sales.mapping.change", distributor)
    code = (product_code or "").strip()[:60]
    if not code:
        raise ValidationError({"product_code": _("Enter the product code as it appears in the reports.")})
    if product_line is None:
        raise ValidationError({"product_line": _("Choose a product line.")})
    obj, _created = ProductMapping.objects.update_or_create(
        distributor=distributor, product_code=code,
        defaults={"product_line": product_line, "description": (description or "")[:200]},
    )
    return obj


def product_mapping_delete(*, principal, mapping: ProductMapping) -> None:
    require(principal, "sales.mapping.change", mapping.distributor)
    delete_unreferenced(mapping, principal=principal, action="sales.mapping.change")


@transaction.atomic
def client_mapping_set(*, principal, distributor, source_key: str, client: CorporateClient) -> ClientMapping:
    """Resolve an unmatched tax id / client code of this distributor's files to a client this distributor serves."""
    require(principal, "sales.mapping.change", distributor)
    key = (source_key or "").strip()[:60]
    if not key:
        raise ValidationError({"source_key": _("Nothing to map.")})
    if client.distributor_id != distributor.pk:  # its lines would show another distributor's client to this one
        raise ValidationError({"client_id": _("Choose one of this distributor's clients.")})
    obj, _created = ClientMapping.objects.update_or_create(distributor=distributor, source_key=key,
                                                           defaults={"client": client})
    return obj


@transaction.atomic
def client_create_from_report(*, principal, report: SalesReport, tax_id: str, client_code: str = "", legal_name: str,
                              force: bool = False) -> CorporateClient:
    """Create the client an unmatched row names, for the report's distributor, through the clients app's
    create service (its duplicate check included: ``force`` confirms a name-only look-alike is another firm)."""
    require(principal, "sales.mapping.change", report.distributor)
    legal_name = (legal_name or "").strip()
    if not legal_name:
        raise ValidationError({"legal_name": _("Enter the client's name.")})
    tax_id = parsing.normalize_tax_id(tax_id)
    if tax_id and not parsing.cui_is_valid(tax_id):
        raise ValidationError({"tax_id": _("The CUI check digit is wrong.")})
    try:
        return client_create(principal=principal, legal_name=legal_name[:200], tax_id=tax_id,
                             code=(client_code or "")[:40], distributor=report.distributor, status="active",
                             confirm_not_duplicate=force)
    except DuplicateClientError as exc:
        names = "; ".join(f"{c.client.legal_name} ({c.client.tax_id or '—'})" for c in exc.check.candidates[:5])
        if exc.check.served_elsewhere and not names:
            names = str(_("a client served elsewhere in the network"))
        raise ValidationError({"legal_name": _("Possible duplicates: %(names)s. Map to one of them, or confirm.") % {
            "names": names}}) from None


# ---------------------------------------------------------------------------------------- segmentation

SMALL_BATCH_SHARE = Decimal("0.30")  # a key account buying under 30 % of its potential buys in small batches
STRATEGIC_SHARE = Decimal("0.50")
AT_RISK_TREND = Decimal("-0.25")
DORMANT_DAYS = 120
SEGMENT_FIELDS = ["volume", "quantity", "previous_volume", "trend", "months_active", "months_covered", "last_purchase",
                  "recency_days", "share_of_potential", "small_batches", "abc_class", "nps_class", "recommend", "label"]


@transaction.atomic
def segment_recompute(*, principal, distributor=None, year: int | None = None) -> int:
    """On demand: recompute the segments of one distributor (or every one the principal may), one year or all."""
    require(principal, "sales.clientsegment.recompute", distributor)
    if distributor is not None:
        ids = [distributor.pk]
    elif principal.distributor_ids is None:
        ids = list(Distributor.objects.values_list("pk", flat=True))
    else:
        ids = list(principal.distributor_ids)
    years = [year] if year else None
    return segments_refresh(distributor_ids=ids, years=years)


def segments_refresh(*, distributor_ids, years=None) -> int:
    """Recompute these distributors' segments for these years (and the year after, whose trend moves); with
    ``years=None`` every year that has sales or segments. One set-based pass (see segmentation.py)."""
    distributor_ids = list(distributor_ids)
    if years is None:
        wanted = _years_with_data(distributor_ids)
    else:
        span = {y for y in years} | {y + 1 for y in years}
        wanted = {d: set(span) for d in distributor_ids}
    return recompute_pairs(wanted)


def recompute_pairs(pairs: dict[int, set[int]]) -> int:
    return segmentation.recompute(pairs, small_batch_share=SMALL_BATCH_SHARE, strategic_share=STRATEGIC_SHARE,
                                  at_risk_trend=AT_RISK_TREND, dormant_days=DORMANT_DAYS)


def _years_with_data(distributor_ids) -> dict[int, set[int]]:
    """distributor id → the years between its first and last sale, plus the years it has segments for.

    The first and last sale are two index probes per distributor (sales_line_dist_date), not a scan."""
    wanted: dict[int, set[int]] = {d: set() for d in distributor_ids}
    table = SalesLine._meta.db_table
    for start in range(0, len(distributor_ids), 500):
        chunk = distributor_ids[start:start + 500]
        marks = ", ".join(["%s"] * len(chunk))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT d.id, (SELECT MIN(l.date) FROM {table} l WHERE l.distributor_id = d.id), "
                f"(SELECT MAX(l.date) FROM {table} l WHERE l.distributor_id = d.id) "
                f"FROM {Distributor._meta.db_table} d WHERE d.id IN ({marks})", chunk)
            for distributor_id, first, last in cursor.fetchall():
                if first is not None:
                    wanted[distributor_id] |= set(range(_day(first).year, _day(last).year + 1))
    # Years that have segments anywhere (an index-only read): a distributor's stale ones are found there too.
    segment_years = set(ClientSegment.objects.order_by().values_list("year", flat=True).distinct())
    for years in wanted.values():
        years |= segment_years
    return wanted


def _day(value):
    return value if isinstance(value, date) or value is None else date.fromisoformat(str(value)[:10])

