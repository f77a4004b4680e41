"""Run every app's demo generator in dependency order; safe to run twice (records are looked up by stable keys)."""

import importlib

from django.db import transaction

from .context import DemoContext

GENERATOR_ORDER = ["core", "network", "clients", "deals", "channel", "program", "competence", "sales", "service", "integrations"]


def generators():
    for app in GENERATOR_ORDER:
        try:
            module = importlib.import_module(f"keychannel.{app}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"keychannel.{app}.demo":
                raise
            continue
        yield app, module


def seed_demo(*, password: str, progress=print) -> DemoContext:
    ctx = DemoContext(password=password)
    for app, module in generators():
        progress(f"  seeding {app} …")
        with transaction.atomic():
            module.seed(ctx)
    # Last: every record's created/updated stamps and history dates follow the story's dates (demo/timeline.py).
    progress("  dating the timeline …")
    from .timeline import stamp_timeline

    with transaction.atomic():
        stamp_timeline()
    from keychannel.core.demo import seed_bell  # last: the bell shows what every app's demo announced

    progress("  seeding the notification bells …")
    with transaction.atomic():
        seed_bell(ctx)
    return ctx
