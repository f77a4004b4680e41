"""`keychannel serve`: run the app under gunicorn (what production uses), on 127.0.0.1 by default."""

import os
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve keychannel with gunicorn."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("KEYCHANNEL_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("KEYCHANNEL_WORKERS", "2")))

    def handle(self, *args, bind, workers, **options):
        argv = [sys.executable, "-m", "gunicorn", "keychannel.wsgi:application", "--bind", bind,
                "--workers", str(workers), "--access-logfile", "-"]
        os.execv(sys.executable, argv)
