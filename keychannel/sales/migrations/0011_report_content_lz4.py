"""The stored upload (a sales report's file, an import job's file) compressed with lz4 instead of pglz (issue 22.4).

An import of a 100,000-line file stores its ~5 MB as the report's ``content`` in the import's transaction: pglz took
0.10–0.24 s of it (a tenth of the COPY of its lines at scale 0.1), lz4 0.03–0.05 s for 15 % more bytes. PostgreSQL
only, and only when the server was built with lz4 (else nothing changes); existing values stay as they are.
"""

from django.db import migrations

COLUMNS = [("sales_salesreport", "content"), ("sales_importjob", "content")]


def lz4(apps, schema_editor, method="lz4"):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")
        row = cursor.fetchone()
        if not (row and row[0]):
            return
        for table, column in COLUMNS:
            cursor.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION {method}")


def pglz(apps, schema_editor):
    lz4(apps, schema_editor, method="pglz")


class Migration(migrations.Migration):
    dependencies = [("sales", "0010_segment_keys_locked_not_constrained")]

    operations = [migrations.RunPython(lz4, pglz)]
