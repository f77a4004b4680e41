"""The segments' yearly totals per label and ABC class, kept by the database itself (issue 22).

The segments page and its charts both counted the year's segments by label and ABC class and summed their volume, a
grouped read of every segment of the year on each view (a full year is some 200,000 segments at the issue-10 size);
the segments list (``GET /segments``) counted its rows up to 100,000 (``core.pagination.CappedCountPagination``),
100,001 index entries on every first page for the whole network. This table answers all three from a few dozen rows
at most, at any size: the list's count is the sum of a year's totals, or of every year's (:func:`stored_segments`,
``core.pagination.stored_count``). (A per-year tally kept the list's count before, wave 11: it repeated these
totals summed by year, at the cost of a second set of triggers; migration ``sales 0014`` dropped it.)

Segments are written by the recompute in set-based SQL (``segmentation.recompute``: one INSERT or DELETE statement
for hundreds of thousands of rows), deleted by Django's collector when a client or distributor goes, and by tests,
the demo and the bench data set in their own ways, so only triggers on the segment table see every write. On
PostgreSQL one trigger per INSERT, DELETE and UPDATE *statement* adds what the statement changed, grouped
(transition tables: a recompute of 400,000 segments writes a dozen totals once, in key order, so concurrent writers
add up and never wait on each other in two orders); an UPDATE that moves no total (a changed NPS class, trend, …)
writes nothing; TRUNCATE empties it. SQLite uses row triggers. The triggers are created by migration ``sales 0013``
and again after every ``migrate`` (idempotent; a test database built without migrations gets them too).

Not stored: a total per client and year, which would make the charts' ranking of the year's biggest clients a read
of 500 index entries. Kept by the same triggers it cost a row upsert per client-year written: a from-empty recompute
of the full-size data set (400,000 segments) went from 31 to 63 s under load, its deletes from 1.5 to 28 s. It
belongs in the recompute's own set-based statement (docs/sales.md).

``manage.py sales_segment_totals_rebuild [--check]`` recounts (:func:`rebuild`) or compares (:func:`differences`).
Only a write with triggers off skips them: a session with ``session_replication_role = replica`` (the bench data
set's loader, which writes no segment) or a ``loaddata`` of the segments; such a write ends with the rebuild.
``pg_restore`` creates the triggers after the data, so restored totals are the dumped ones.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import connection, models
from django.db.models import Count, Sum
from django.utils.translation import gettext_lazy as _

from keychannel.core.rollups import differences as compare
from keychannel.core.rollups import replace_rows

from .choices import AbcClass, SegmentLabel


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
CLASSES = "sales_segmentclasstotal"

# {rows}: SELECT key…, segments, volume … ORDER BY key (the order every writer takes the rows' locks in)
_UPSERT = (f"INSERT INTO {CLASSES} (year, label, abc_class, segments, volume) {{rows}} "
           f"ON CONFLICT (year, label, abc_class) DO UPDATE SET segments = {CLASSES}.segments + "
           f"excluded.segments, volume = {CLASSES}.volume + excluded.volume")
_KEY = "year, label, abc_class"


def _grouped(source: str, key: str) -> str:
    """The rows of an upsert: ``source`` (rows of key columns, n, v) summed by ``key``, changed totals only."""
    return (f"SELECT {key}, SUM(n), SUM(v) FROM ({source}) c GROUP BY {key} "
            f"HAVING SUM(n) <> 0 OR SUM(v) <> 0 ORDER BY {key}")


def _function(name: str, sign_sources: list[tuple[str, str]]) -> str:
    """A trigger function adding ``[(sign, transition table)]`` to the totals."""
    source = " UNION ALL ".join(f"SELECT {_KEY}, {sign}1 AS n, {sign}volume AS v FROM {table}"
                                for sign, table in sign_sources)
    return (f"CREATE OR REPLACE FUNCTION sales_segment_totals_{name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n    {_UPSERT.format(rows=_grouped(source, _KEY))};\n    RETURN NULL;\nEND $$")


_POSTGRESQL = [
    _function("added", [("", "new_rows")]),
    _function("removed", [("-", "old_rows")]),
    _function("changed", [("-", "old_rows"), ("", "new_rows")]),
    f"""CREATE OR REPLACE FUNCTION sales_segment_totals_emptied() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
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
    """SQLite (no statement triggers, no upsert inside a trigger): make the total's row, then add one segment.
    (Not INSERT OR IGNORE: under the recompute's upsert SQLite applies the outer statement's conflict handling.)"""
    key = f"year = {row}.year AND label = {row}.label AND abc_class = {row}.abc_class"
    return (f"INSERT INTO {CLASSES} (year, label, abc_class, segments, volume) "
            f"SELECT {row}.year, {row}.label, {row}.abc_class, 0, 0 WHERE NOT EXISTS (SELECT 1 FROM {CLASSES} "
            f"WHERE {key}); "
            f"UPDATE {CLASSES} SET segments = segments {sign} 1, volume = volume {sign} {row}.volume WHERE {key};")


_MOVED = "OLD.year IS NOT NEW.year OR OLD.volume IS NOT NEW.volume OR OLD.label IS NOT NEW.label " \
         "OR OLD.abc_class IS NOT NEW.abc_class"
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


def rebuild(segment_model=None, total_model=None) -> int:
    """Replace the totals by a recount of every segment; returns the number of rows. Segment writes meanwhile wait
    for it (PostgreSQL: the table is locked first, and their triggers write to it) and then add theirs on top."""
    total_model = total_model or SegmentClassTotal
    return replace_rows(total_model, lambda: [
        total_model(year=year, label=label, abc_class=abc, segments=n, volume=volume)
        for (year, label, abc), (n, volume) in sorted(recount(segment_model).items())])


def _cents(value) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


def recount(segment_model=None) -> dict:
    """``{(year, label, abc_class): (segments, volume)}`` counted from the segments (one grouped query)."""
    if segment_model is None:
        from .models import ClientSegment as segment_model
    rows = segment_model._base_manager.order_by().values_list("year", "label", "abc_class")
    return {(y, label, abc): (n, _cents(v)) for y, label, abc, n, v in rows.annotate(n=Count("pk"), v=Sum("volume"))}


def stored() -> dict:
    """The totals as stored, in :func:`recount`'s shape."""
    return {(y, label, abc): (n, _cents(v)) for y, label, abc, n, v in
            SegmentClassTotal.objects.values_list("year", "label", "abc_class", "segments", "volume")}


def differences(segment_model=None) -> list[tuple]:
    """Rows where the totals differ from a recount: ``[(key, stored, counted)]`` (empty when right); a total of no
    segment equals no row."""
    return compare(stored(), recount(segment_model), (0, Decimal("0.00")))


def stored_segments(*, year: int | None = None) -> int:
    """How many segments the network holds (in ``year``, or in every year): the sum of that year's totals (at most
    one per label and class), or of every year's."""
    rows = SegmentClassTotal.objects.all() if year is None else SegmentClassTotal.objects.filter(year=year)
    return rows.aggregate(n=Sum("segments"))["n"] or 0
