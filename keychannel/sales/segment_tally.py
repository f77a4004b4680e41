"""The segment tally: how many client segments each year holds, kept by the database itself (issue 22).

The segments list (``GET /segments``) counts its rows up to 100,000 (``core.pagination.CappedCountPagination``):
for the whole network that read 100,001 index entries on every first page, the list's largest cost (5–7 ms at full
size, less at a tenth of the size: the list was not flat). This tally answers the count from a few rows, at any
size (``core.pagination.stored_count``).

Segments are written by the recompute in set-based SQL (``segmentation.recompute``: one INSERT or DELETE statement
for hundreds of thousands of rows), deleted by Django's collector when a client or distributor goes, and by tests,
the demo and the bench data set in their own ways. So the tally is kept by triggers on the segment table, which no
path can bypass: on PostgreSQL one trigger per INSERT or DELETE *statement* adds the rows it wrote, grouped by year
(transition tables: a recompute of 400,000 rows updates a handful of tally rows once), a row trigger moves a
segment whose year changes, and TRUNCATE empties the tally; SQLite (the small embedded database) uses row triggers.
Tally rows are changed by ``ON CONFLICT`` increments in year order, so concurrent writers add up and never wait on
each other in two orders. The triggers are created by migration ``sales 0012`` and again after every ``migrate``
(idempotent; a test database built without migrations gets them too). :func:`rebuild` recounts
(``manage.py sales_segment_tally_rebuild``), :func:`differences` compares. Only a write with triggers off skips
the tally: a session with ``session_replication_role = replica`` (the bench data set's loader, which writes no
segment) or a ``loaddata`` of both tables; such a write ends with the rebuild. ``pg_restore`` creates the
triggers after the data, so a restored tally is the dumped one.
"""

from __future__ import annotations

from django.db import connection, models
from django.db.models import Count, Sum
from django.utils.translation import gettext_lazy as _

from keychannel.core.rollups import differences as compare
from keychannel.core.rollups import replace_rows


class SegmentTally(models.Model):
    """Client segments per year. Derived data, kept by triggers on the segment table and rebuilt from it at any
    time (``manage.py sales_segment_tally_rebuild``)."""

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    segment_count = models.BigIntegerField(_("Segments"), default=0)

    class Meta:
        ordering = ["year"]
        verbose_name = _("segment tally")
        verbose_name_plural = _("segment tallies")

    def __str__(self):
        return f"{self.year}: {self.segment_count}"


SEGMENTS = "sales_clientsegment"
TALLY = "sales_segmenttally"

_UPSERT = (f"INSERT INTO {TALLY} (year, segment_count) {{rows}} "
           f"ON CONFLICT (year) DO UPDATE SET segment_count = {TALLY}.segment_count + excluded.segment_count")

_POSTGRESQL = [
    f"""CREATE OR REPLACE FUNCTION sales_segment_tally_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_UPSERT.format(rows="SELECT year, COUNT(*) FROM segment_rows GROUP BY year ORDER BY year")};
    RETURN NULL;
END $$""",
    f"""CREATE OR REPLACE FUNCTION sales_segment_tally_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_UPSERT.format(rows="SELECT year, -COUNT(*) FROM segment_rows GROUP BY year ORDER BY year")};
    RETURN NULL;
END $$""",
    f"""CREATE OR REPLACE FUNCTION sales_segment_tally_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_UPSERT.format(rows="SELECT y, n FROM (VALUES (OLD.year, -1), (NEW.year, 1)) v(y, n) ORDER BY y")};
    RETURN NULL;
END $$""",
    f"""CREATE OR REPLACE FUNCTION sales_segment_tally_emptied() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM {TALLY};
    RETURN NULL;
END $$""",
    f"CREATE OR REPLACE TRIGGER sales_segment_tally_added AFTER INSERT ON {SEGMENTS} REFERENCING NEW TABLE AS "
    f"segment_rows FOR EACH STATEMENT EXECUTE FUNCTION sales_segment_tally_added()",
    f"CREATE OR REPLACE TRIGGER sales_segment_tally_removed AFTER DELETE ON {SEGMENTS} REFERENCING OLD TABLE AS "
    f"segment_rows FOR EACH STATEMENT EXECUTE FUNCTION sales_segment_tally_removed()",
    f"CREATE OR REPLACE TRIGGER sales_segment_tally_moved AFTER UPDATE OF year ON {SEGMENTS} FOR EACH ROW "
    f"WHEN (OLD.year IS DISTINCT FROM NEW.year) EXECUTE FUNCTION sales_segment_tally_moved()",
    f"CREATE OR REPLACE TRIGGER sales_segment_tally_emptied AFTER TRUNCATE ON {SEGMENTS} FOR EACH STATEMENT "
    f"EXECUTE FUNCTION sales_segment_tally_emptied()",
]

# SQLite: row triggers (no statement triggers), and no upsert inside a trigger: insert the year's row if missing,
# then add.
_SQLITE_ADD = (f"INSERT OR IGNORE INTO {TALLY} (year, segment_count) VALUES ({{year}}, 0); "
               f"UPDATE {TALLY} SET segment_count = segment_count + ({{n}}) WHERE year = {{year}};")
_SQLITE = [
    f"CREATE TRIGGER IF NOT EXISTS sales_segment_tally_added AFTER INSERT ON {SEGMENTS} BEGIN "
    f"{_SQLITE_ADD.format(year='NEW.year', n=1)} END",
    f"CREATE TRIGGER IF NOT EXISTS sales_segment_tally_removed AFTER DELETE ON {SEGMENTS} BEGIN "
    f"{_SQLITE_ADD.format(year='OLD.year', n=-1)} END",
    f"CREATE TRIGGER IF NOT EXISTS sales_segment_tally_moved AFTER UPDATE OF year ON {SEGMENTS} "
    f"WHEN OLD.year IS NOT NEW.year BEGIN {_SQLITE_ADD.format(year='OLD.year', n=-1)} "
    f"{_SQLITE_ADD.format(year='NEW.year', n=1)} END",
]


def install(schema_connection=None) -> None:
    """Create (or replace) the triggers that keep the tally; idempotent."""
    schema_connection = schema_connection or connection
    # (settings accept PostgreSQL and SQLite only)
    statements = _POSTGRESQL if schema_connection.vendor == "postgresql" else _SQLITE
    with schema_connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def recount(segment_model=None) -> dict:
    """``{year: segments}`` counted from the segments (one grouped query)."""
    if segment_model is None:
        from .models import ClientSegment as segment_model
    return dict(segment_model._base_manager.order_by().values_list("year").annotate(n=Count("pk")))


def rebuild(segment_model=None, tally_model=None) -> int:
    """Replace the tally by a recount of every segment; returns the number of rows. Segment writes meanwhile wait
    for it (PostgreSQL: the tally is locked first, and their triggers write to it) and then add theirs on top."""
    tally_model = tally_model or SegmentTally
    return replace_rows(tally_model, lambda: [tally_model(year=year, segment_count=n)
                                              for year, n in sorted(recount(segment_model).items())])


def differences(segment_model=None) -> list[tuple]:
    """Years where the tally differs from a recount: ``[(year, stored, counted)]`` (empty when right)."""
    stored = dict(SegmentTally.objects.values_list("year", "segment_count"))
    return compare(stored, recount(segment_model), 0)


def stored_segments(*, year: int | None = None) -> int:
    """How many segments the network holds (in ``year``, or in every year): one tally row, or the sum of a few."""
    rows = SegmentTally.objects.all() if year is None else SegmentTally.objects.filter(year=year)
    return rows.aggregate(n=Sum("segment_count"))["n"] or 0
