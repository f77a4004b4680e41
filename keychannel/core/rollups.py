"""Stored roll-ups: derived tables of counts and sums, kept by the model layer and rebuilt from their source rows.

Each app owns its roll-up (deals/rollups.py: deals per distributor × stage × currency; sales/rollups.py: applied
sales lines per distributor × month): what a row is, how a change moves it and how it is recounted. What they share
lives here, written once:

- :func:`increment`: add a change to one row (``UPDATE … SET f = f + delta``), inserting the row empty first when
  it is missing (``ON CONFLICT DO NOTHING``): how every roll-up takes a change, row by row in its fixed order;
- :func:`replace_rows`: replace every row of a roll-up by a recount, the table locked against writes first;
  :func:`replace_tables`: the same for several roll-ups counted from one recount, every table locked first;
- :func:`differences`: the buckets where the stored roll-up and a recount disagree;
- :class:`RebuildCommand`: the ``manage.py …rebuild [--check]`` command of a roll-up.

The apps' ``rebuild`` take their models as arguments so their fill migrations (deals 0015, sales 0009) can pass the
historical ones; :func:`replace_rows` only uses ``_base_manager``, ``_meta.db_table`` and ``bulk_create``, which
historical models have too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import F


def increment(manager, where: dict, deltas: dict, empty: dict) -> None:
    """Add ``deltas`` (``{field: delta}``) to the one row of ``manager`` that ``where`` selects; nothing when every
    delta is zero.

    One ``UPDATE … SET field = field + delta`` (``F()``: concurrent changes add up, none is lost). When it changes
    no row the row is new: it is inserted empty (``manager.model(**empty)``, its figures at their defaults) with
    ``ON CONFLICT DO NOTHING``, so a concurrent insert of the same row wins quietly and this one waits for it, then
    the same ``UPDATE`` adds the change. A caller increments its rows in one fixed order, the same for every writer,
    so two transactions never wait on each other's rows in a cycle."""
    if not any(deltas.values()):
        return
    change = {field: F(field) + delta for field, delta in deltas.items()}
    rows = manager.filter(**where)
    if rows.update(**change):
        return
    manager.bulk_create([manager.model(**empty)], ignore_conflicts=True)
    rows.update(**change)


def replace_tables(models: Sequence, recount: Callable[[], Sequence[Iterable]], *,
                   mode: str = "SHARE ROW EXCLUSIVE") -> int:
    """Replace every row of each roll-up of ``models`` by the unsaved instances ``recount()`` returns for it (one
    iterable per model, in the same order); returns how many rows in all.

    ``recount`` is called once, after every table is locked, in the order given (PostgreSQL: ``SHARE ROW
    EXCLUSIVE``, so no other transaction changes a row meanwhile), and their old rows are deleted: a change
    committed before the locks is in the recount, a concurrent one waits for the rebuild and then adds its own
    difference on top. Give the tables in the order the writers change them: a writer that holds the first
    table's rows then never waits for the second while the rebuild holds it and waits for the first.

    ``mode``: ``EXCLUSIVE`` where a writer takes its rows with ``SELECT … FOR UPDATE`` before changing them (the
    won clients' rows): that takes only ``ROW SHARE``, which ``SHARE ROW EXCLUSIVE`` lets through, so the rebuild's
    DELETE would wait for the writer's rows while the writer's UPDATE waits for the rebuild's lock (a deadlock).
    ``EXCLUSIVE`` waits for such a writer to commit, and a later writer waits for the rebuild; plain reads pass."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for model in models:
                    cursor.execute(f"LOCK TABLE {connection.ops.quote_name(model._meta.db_table)} IN {mode} MODE")
        for model in models:
            model._base_manager.all().delete()
        written = 0
        for model, rows in zip(models, recount(), strict=True):
            rows = list(rows)
            model._base_manager.bulk_create(rows, batch_size=1000)
            written += len(rows)
    return written


def replace_rows(model, recount: Callable[[], Iterable]) -> int:
    """Replace every row of the roll-up ``model`` by the unsaved instances ``recount()`` returns; returns how many
    (:func:`replace_tables` of one table)."""
    return replace_tables([model], lambda: [recount()])


def differences(stored: dict, counted: dict, zero: tuple, *, key=None) -> list[tuple]:
    """``[(bucket, stored, counted)]`` for the buckets where ``stored`` and ``counted`` (``{bucket: figures}``, each
    figure already rounded as the table stores it) differ, in ``sorted(…, key=key)`` order; empty when they agree.
    A missing bucket counts as ``zero`` (a bucket all of whose rows left equals no bucket)."""
    return [(bucket, stored.get(bucket, zero), counted.get(bucket, zero))
            for bucket in sorted(set(counted) | set(stored), key=key)
            if stored.get(bucket, zero) != counted.get(bucket, zero)]


class RebuildCommand(BaseCommand):
    """``manage.py <name> [--check]``: recount a roll-up, or with ``--check`` only compare it with a recount and
    exit 1 when they differ (the first 20 differences are printed). A subclass names its ``rollups`` module (with
    ``rebuild()`` and ``differences()``), the command's name (for the hint) and the roll-up's ``title``."""

    rollups = None  # the app's roll-up module
    command_name = ""  # as the operator types it: "rollups_rebuild"
    title = ""  # "pipeline roll-up"

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Compare with a recount; change nothing.")

    def handle(self, *args, check=False, **options):
        if check:
            differences = self.rollups.differences()
            for bucket, stored, counted in differences[:20]:
                self.stdout.write(f"{bucket}: stored {stored}, recount {counted}")
            if differences:
                raise CommandError(f"{len(differences)} roll-up row(s) differ from a recount: run {self.command_name}")
            self.stdout.write(f"the {self.title} equals a recount")
            return
        rows = self.rollups.rebuild()
        self.stdout.write(f"{self.title} rebuilt: {rows} row(s)")
