"""The rows data migrations make, put back after every flush, so every test starts with them whatever ran before.

A transactional test (``transaction=True``, ``live_server``, the worker, mail-in and race tests) ends with a flush of
every table: the rows the data migrations made (deal stage settings, corporate tiers and their service levels, the
default playbooks, readiness questionnaire v1) go with it, and every later test on that database, in this run or on a
reused database in the next, would start without them. The root conftest's ``django_db_setup`` calls ``remember()``
right after the test database is migrated and ``connect()``: the flush's ``post_migrate`` then puts them back. Content
types and permissions are re-made by the flush itself (Django's own ``post_migrate`` handlers).
"""

import json
from io import StringIO
from pathlib import Path

# The same rows as a file, for a test database built without migrations (``--nomigrations``: the SQLite lane of
# ``make test``, where running the 70 migrations cost about 85 CPU seconds). ``test_the_recorded_rows_are_what_the
# _migrations_make`` (tests/test_harness.py) fails when a data migration changes and this file is not written again:
# ``python -m tests.migration_rows``.
RECORDED = Path(__file__).with_name("migration_rows.json")

REMADE_BY_POST_MIGRATE = {"contenttypes", "auth.permission"}
DISPATCH_UID = "keychannel-migration-rows"
_ROWS: dict[str, tuple[str, list]] = {}  # database alias -> (the rows as JSON, their models)


def remember(alias: str = "default") -> list:
    """Keep the rows the migrations left in the (freshly migrated) test database; returns their models."""
    _ROWS[alias] = serialize(alias)
    return _ROWS[alias][1]


def serialize(alias: str = "default") -> tuple[str, list]:
    """The data migrations' rows in the database ``alias`` as JSON, and their models."""
    from django.apps import apps
    from django.core import serializers
    from django.db import connections, router

    connection = connections[alias]
    found = []

    def objects():
        models = serializers.sort_dependencies([(config, None) for config in apps.get_app_configs()], allow_cycles=True)
        for model in models:
            if model._meta.app_label in REMADE_BY_POST_MIGRATE or model._meta.label_lower in REMADE_BY_POST_MIGRATE:
                continue
            if model._meta.proxy or not model._meta.can_migrate(connection) \
                    or not router.allow_migrate_model(alias, model):
                continue
            rows = list(model._base_manager.using(alias).order_by(model._meta.pk.name))
            if rows:
                found.append(model)
            yield from rows

    out = StringIO()
    serializers.serialize("json", objects(), stream=out)
    return out.getvalue(), found


def load_recorded(alias: str = "default") -> None:
    """Insert the recorded rows into a database built without migrations (the same rows, ids and all)."""
    from django.db import connections

    connections[alias].creation.deserialize_db_from_string(RECORDED.read_text())


def recorded_objects() -> list:
    """The recorded rows, parsed, for comparing with what the migrations make."""
    return json.loads(RECORDED.read_text())


def restore(alias: str = "default") -> None:
    """Put the remembered rows back (after a flush) and move the id sequences past them."""
    from django.core.management.color import no_style
    from django.db import connections

    data, found = _ROWS.get(alias, ("", []))
    if not found:
        return
    connection = connections[alias]
    connection.creation.deserialize_db_from_string(data)
    statements = connection.ops.sequence_reset_sql(no_style(), found)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def _after_flush(sender, using, plan=None, **kwargs):
    # ``migrate`` passes its plan; ``flush`` passes none.
    if plan is None and using in _ROWS:
        restore(using)


def _last_app():
    # post_migrate is sent once per app; the last one's comes after every app's content types and permissions.
    from django.apps import apps

    return [config for config in apps.get_app_configs() if config.models_module is not None][-1]


def connect() -> None:
    from django.db.models.signals import post_migrate

    post_migrate.connect(_after_flush, sender=_last_app(), weak=False, dispatch_uid=DISPATCH_UID)


def disconnect() -> None:
    from django.db.models.signals import post_migrate

    post_migrate.disconnect(sender=_last_app(), dispatch_uid=DISPATCH_UID)


def main() -> None:
    """Write tests/migration_rows.json from a freshly migrated SQLite database in a temporary directory."""
    import os
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["KEYCHANNEL_DATABASE_URL"] = f"sqlite:///{tmp}/rows.sqlite3"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keychannel.settings")
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        data, found = serialize()
        RECORDED.write_text(json.dumps(json.loads(data), indent=1, ensure_ascii=False) + "\n")
        print(f"{RECORDED}: {len(json.loads(data))} rows of {len(found)} models")


if __name__ == "__main__":
    main()
