"""The segments' yearly totals, kept by the database itself (issue 22): per client and year, and per year, label
and ABC class.

The segments page and its charts summed the whole network's year on every view: the charts ranked every client
of the year by its volume summed over its distributors (a ``GROUP BY client`` over some 200,000 segments at the
issue-10 size, two thirds of the charts' time, and growing with the network: the charts were not flat), and both
counted the year's segments by label and ABC class. These two tables answer them from a few rows: the charts' 500
biggest clients are the first 500 entries of an index, the counts a dozen rows.

They are kept like the segment tally (segment_tally.py), and for the same reasons: segments are written in
set-based SQL by the recompute, deleted by Django's collector, by tests, the demo and the bench in their own ways,
so only triggers on the segment table see every write. On PostgreSQL one trigger per INSERT, DELETE and UPDATE
*statement* adds what the statement changed, grouped (transition tables: a recompute of 400,000 segments writes
each total once, in key order, so concurrent writers add up and never wait on each other in two orders); an
UPDATE that moves no total (a changed NPS class, trend, …) writes nothing; TRUNCATE empties both. SQLite uses row
triggers. A client's total whose last segment left is deleted, so a client-year row always has a segment.

``manage.py sales_segment_totals_rebuild [--check]`` recounts (:func:`rebuild`) or compares (:func:`differences`).
As for the tally, only a write with triggers off skips them (``session_replication_role = replica``, a
``loaddata`` of the segments); such a write ends with the rebuild.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import connection, models, transaction
from django.db.models import Count, Sum
from django.utils.translation import gettext_lazy as _

from keychannel.core.rollups import differences as compare

from .choices import AbcClass, SegmentLabel


class ClientYearTotal(models.Model):
    """A client's segments of one year summed over its distributors. Derived data (see the module)."""

    pk = models.CompositePrimaryKey("client_id", "year")
    # No database constraint and nothing done on delete: the client's segments go with it (Django's collector), and
    # their trigger removes this row.
    client = models.ForeignKey("clients.CorporateClient", on_delete=models.DO_NOTHING, db_constraint=False,
                               db_index=False, related_name="+", verbose_name=_("client"))
    year = models.PositiveSmallIntegerField(_("year"))
    segments = models.IntegerField(_("Segments"), default=0)
    volume = models.DecimalField(_("volume (RON)"), max_digits=20, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("client's yearly total")
        verbose_name_plural = _("clients' yearly totals")
        # the charts' order: a year's biggest clients read off the index
        indexes = [models.Index(fields=["year", "-volume", "client"], name="sales_client_year_volume")]

    def __str__(self):
        return f"{self.client_id} · {self.year}: {self.segments}, {self.volume}"


class SegmentClassTotal(models.Model):
    """A year's segments of one label and ABC class: how many, and their volume. Derived data (see the module)."""

    pk = models.CompositePrimaryKey("year", "label", "abc_class")
    year = models.PositiveSmallIntegerField(_("year"))
    label = models.CharField(_("segment"), max_length=10, choices=SegmentLabel.choices)
    abc_class = models.CharField(_("ABC class"), max_length=1, choices=AbcClass.choices)
    segments = models.BigIntegerField(_("Segments"), default=0)
    volume = models.DecimalField(_("volume (RON)"), max_digits=22, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("segment class total")
        verbose_name_plural = _("segment class totals")

    def __str__(self):
        return f"{self.year} · {self.label} · {self.abc_class}: {self.segments}, {self.volume}"


SEGMENTS = "sales_clientsegment"
CLIENTS = "sales_clientyeartotal"
CLASSES = "sales_segmentclasstotal"

# {rows}: SELECT key…, segments, volume … ORDER BY key (the order every writer takes the rows' locks in)
_CLIENT_UPSERT = (f"INSERT INTO {CLIENTS} (client_id, year, segments, volume) {{rows}} ON CONFLICT (client_id, year) "
                  f"DO UPDATE SET segments = {CLIENTS}.segments + excluded.segments, "
                  f"volume = {CLIENTS}.volume + excluded.volume")
_CLASS_UPSERT = (f"INSERT INTO {CLASSES} (year, label, abc_class, segments, volume) {{rows}} "
                 f"ON CONFLICT (year, label, abc_class) DO UPDATE SET segments = {CLASSES}.segments + "
                 f"excluded.segments, volume = {CLASSES}.volume + excluded.volume")
_CLIENT_GONE = (f"DELETE FROM {CLIENTS} t USING (SELECT DISTINCT client_id, year FROM old_rows) o "
                f"WHERE t.client_id = o.client_id AND t.year = o.year AND t.segments = 0")


def _grouped(source: str, key: str) -> str:
    """The rows of an upsert: ``source`` (rows of key columns, n, v) summed by ``key``, changed totals only."""
    return (f"SELECT {key}, SUM(n), SUM(v) FROM ({source}) c GROUP BY {key} "
            f"HAVING SUM(n) <> 0 OR SUM(v) <> 0 ORDER BY {key}")


def _function(name: str, sign_sources: list[tuple[str, str]], gone: bool) -> str:
    """A trigger function adding ``[(sign, transition table)]`` to both totals."""
    def union(columns):
        return " UNION ALL ".join(f"SELECT {columns}, {sign}1 AS n, {sign}volume AS v FROM {table}"
                                  for sign, table in sign_sources)
    body = [_CLIENT_UPSERT.format(rows=_grouped(union("client_id, year"), "client_id, year")),
            _CLASS_UPSERT.format(rows=_grouped(union("year, label, abc_class"), "year, label, abc_class"))]
    if gone:
        body.append(_CLIENT_GONE)
    statements = "".join(f"    {statement};\n" for statement in body)
    return (f"CREATE OR REPLACE FUNCTION sales_segment_totals_{name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n{statements}    RETURN NULL;\nEND $$")


_POSTGRESQL = [
    _function("added", [("", "new_rows")], gone=False),
    _function("removed", [("-", "old_rows")], gone=True),
    _function("changed", [("-", "old_rows"), ("", "new_rows")], gone=True),
    f"""CREATE OR REPLACE FUNCTION sales_segment_totals_emptied() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM {CLIENTS};
    DELETE FROM {CLASSES};
    RETURN NULL;
END $$""",
    f"CREATE OR REPLACE TRIGGER sales_segment_totals_added AFTER INSERT ON {SEGMENTS} REFERENCING NEW TABLE AS "
    f"new_rows FOR EACH STATEMENT EXECUTE FUNCTION sales_segment_totals_added()",
    f"CREATE OR REPLACE TRIGGER sales_segment_totals_removed AFTER DELETE ON {SEGMENTS} REFERENCING OLD TABLE AS "
    f"old_rows FOR EACH STATEMENT EXECUTE FUNCTION sales_segment_totals_removed()",
    # (PostgreSQL allows no column list on a trigger with transition tables: it fires on every UPDATE, and one
    # that moves no total writes nothing, see _grouped)
    f"CREATE OR REPLACE TRIGGER sales_segment_totals_changed AFTER UPDATE ON {SEGMENTS} REFERENCING OLD TABLE AS "
    f"old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sales_segment_totals_changed()",
    f"CREATE OR REPLACE TRIGGER sales_segment_totals_emptied AFTER TRUNCATE ON {SEGMENTS} FOR EACH STATEMENT "
    f"EXECUTE FUNCTION sales_segment_totals_emptied()",
]


def _sqlite_add(row: str, sign: str) -> str:
    """SQLite (no statement triggers, no upsert inside a trigger): make the totals' rows, then add one segment."""
    client = f"client_id = {row}.client_id AND year = {row}.year"
    klass = f"year = {row}.year AND label = {row}.label AND abc_class = {row}.abc_class"
    # (not INSERT OR IGNORE: under the recompute's upsert SQLite applies the outer statement's conflict handling)
    return (f"INSERT INTO {CLIENTS} (client_id, year, segments, volume) SELECT {row}.client_id, {row}.year, 0, 0 "
            f"WHERE NOT EXISTS (SELECT 1 FROM {CLIENTS} WHERE {client}); "
            f"UPDATE {CLIENTS} SET segments = segments {sign} 1, volume = volume {sign} {row}.volume WHERE {client}; "
            f"DELETE FROM {CLIENTS} WHERE {client} AND segments = 0; "
            f"INSERT INTO {CLASSES} (year, label, abc_class, segments, volume) "
            f"SELECT {row}.year, {row}.label, {row}.abc_class, 0, 0 WHERE NOT EXISTS (SELECT 1 FROM {CLASSES} "
            f"WHERE {klass}); "
            f"UPDATE {CLASSES} SET segments = segments {sign} 1, volume = volume {sign} {row}.volume WHERE {klass};")


_MOVED = "OLD.client_id IS NOT NEW.client_id OR OLD.year IS NOT NEW.year OR OLD.volume IS NOT NEW.volume " \
         "OR OLD.label IS NOT NEW.label OR OLD.abc_class IS NOT NEW.abc_class"
_SQLITE = [
    f"CREATE TRIGGER IF NOT EXISTS sales_segment_totals_added AFTER INSERT ON {SEGMENTS} BEGIN "
    f"{_sqlite_add('NEW', '+')} END",
    f"CREATE TRIGGER IF NOT EXISTS sales_segment_totals_removed AFTER DELETE ON {SEGMENTS} BEGIN "
    f"{_sqlite_add('OLD', '-')} END",
    f"CREATE TRIGGER IF NOT EXISTS sales_segment_totals_changed AFTER UPDATE ON {SEGMENTS} WHEN {_MOVED} BEGIN "
    f"{_sqlite_add('OLD', '-')} {_sqlite_add('NEW', '+')} END",
]


def install(schema_connection=None) -> None:
    """Create (or replace) the triggers that keep both totals; idempotent."""
    schema_connection = schema_connection or connection
    statements = _POSTGRESQL if schema_connection.vendor == "postgresql" else _SQLITE
    with schema_connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def rebuild(schema_connection=None) -> int:
    """Replace both totals by a recount of every segment; returns the number of rows written. In SQL: at the
    issue-10 size the clients' totals are 400,000 rows, too many to build as model instances
    (``core.rollups.replace_rows``) in a migration. Segment writes meanwhile wait (PostgreSQL: both tables locked
    first, and their triggers write to them) and then add theirs on top."""
    schema_connection = schema_connection or connection
    with transaction.atomic(using=schema_connection.alias), schema_connection.cursor() as cursor:
        if schema_connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {CLIENTS}, {CLASSES} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {CLIENTS}")
        cursor.execute(f"DELETE FROM {CLASSES}")
        cursor.execute(f"INSERT INTO {CLIENTS} (client_id, year, segments, volume) SELECT client_id, year, COUNT(*), "
                       f"SUM(volume) FROM {SEGMENTS} GROUP BY client_id, year")
        written = cursor.rowcount
        cursor.execute(f"INSERT INTO {CLASSES} (year, label, abc_class, segments, volume) SELECT year, label, "
                       f"abc_class, COUNT(*), SUM(volume) FROM {SEGMENTS} GROUP BY year, label, abc_class")
        return written + cursor.rowcount


def _cents(value) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


def recount() -> tuple[dict, dict]:
    """``({(client_id, year): (segments, volume)}, {(year, label, abc_class): (segments, volume)})`` counted from
    the segments (two grouped queries)."""
    from .models import ClientSegment

    rows = ClientSegment._base_manager.order_by()
    clients = {(c, y): (n, _cents(v)) for c, y, n, v in
               rows.values_list("client_id", "year").annotate(n=Count("pk"), v=Sum("volume"))}
    classes = {(y, label, abc): (n, _cents(v)) for y, label, abc, n, v in
               rows.values_list("year", "label", "abc_class").annotate(n=Count("pk"), v=Sum("volume"))}
    return clients, classes


def stored() -> tuple[dict, dict]:
    """Both totals as stored, in :func:`recount`'s shape."""
    clients = {(c, y): (n, _cents(v)) for c, y, n, v in
               ClientYearTotal.objects.values_list("client_id", "year", "segments", "volume")}
    classes = {(y, label, abc): (n, _cents(v)) for y, label, abc, n, v in
               SegmentClassTotal.objects.values_list("year", "label", "abc_class", "segments", "volume")}
    return clients, classes


def differences() -> list[tuple]:
    """Rows where a total differs from a recount: ``[(key, stored, counted)]`` (empty when right); a class
    total of no segment equals no row."""
    (stored_clients, stored_classes), (clients, classes) = stored(), recount()
    zero = (0, Decimal("0.00"))
    return [*compare(stored_clients, clients, zero), *compare(stored_classes, classes, zero)]
