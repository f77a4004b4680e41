"""The segment tally: segments per year, kept by triggers on the segment table, so the segments list proved "more
than 100,000" from a few rows instead of counting 100,001 (issue 22). Creates the table and the triggers, then
counts the segments already stored.

Dropped again by ``0014_drop_segment_tally``: the segments' yearly totals (0013, ``sales/segment_totals.py``) hold
the same counts per label and class, so the list reads those. The triggers' SQL and the count are therefore frozen
here (the tally's module is gone), and 0014's reverse creates them from here."""

from django.db import migrations, models
from django.db.models import Count

SEGMENTS = "sales_clientsegment"
TALLY = "sales_segmenttally"
NAMES = ("added", "removed", "moved", "emptied")

_UPSERT = (f"INSERT INTO {TALLY} (year, segment_count) {{rows}} "
           f"ON CONFLICT (year) DO UPDATE SET segment_count = {TALLY}.segment_count + excluded.segment_count")

# PostgreSQL: a statement trigger per INSERT / DELETE adds the rows it wrote by year (transition tables), a row
# trigger moves a segment whose year changes, TRUNCATE empties the tally.
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

# SQLite: row triggers, and no upsert inside a trigger: insert the year's row if missing, then add.
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


def tally(apps, schema_editor):
    """The triggers, then the segments already stored counted by year."""
    from keychannel.core.rollups import replace_rows

    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for statement in _POSTGRESQL if connection.vendor == "postgresql" else _SQLITE:
            cursor.execute(statement)
    segments, tally_model = apps.get_model("sales", "ClientSegment"), apps.get_model("sales", "SegmentTally")
    years = segments._base_manager.order_by().values_list("year").annotate(n=Count("pk")).order_by("year")
    replace_rows(tally_model, lambda: [tally_model(year=year, segment_count=n) for year, n in years])


def untally(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for name in NAMES:
            cursor.execute(f"DROP TRIGGER IF EXISTS sales_segment_tally_{name}"
                           + (f" ON {SEGMENTS}" if connection.vendor == "postgresql" else ""))
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP FUNCTION IF EXISTS sales_segment_tally_{name}()")


class Migration(migrations.Migration):
    dependencies = [("sales", "0011_report_content_lz4")]

    operations = [
        migrations.CreateModel(
            name="SegmentTally",
            fields=[
                ("year", models.PositiveSmallIntegerField(primary_key=True, serialize=False, verbose_name="year")),
                ("segment_count", models.BigIntegerField(default=0, verbose_name="Segments")),
            ],
            options={"verbose_name": "segment tally", "verbose_name_plural": "segment tallies", "ordering": ["year"]},
        ),
        migrations.RunPython(tally, untally),
    ]
