"""keychannel runs on PostgreSQL or SQLite: settings refuse any other database at start, with the setting named."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _start(url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "KEYCHANNEL_DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "keychannel.settings"}
    return subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("url", ["mysql://u:p@127.0.0.1/keychannel", "oracle://u:p@127.0.0.1/keychannel"])
def test_another_database_is_refused_at_start(url):
    started = _start(url)
    assert started.returncode != 0
    assert "ImproperlyConfigured" in started.stderr and "runs on PostgreSQL or SQLite" in started.stderr


def test_sqlite_and_postgresql_urls_start(tmp_path):
    for url in (f"sqlite:///{tmp_path / 'k.sqlite3'}", "postgres://u:p@127.0.0.1:9/keychannel"):
        started = _start(url)
        assert started.returncode == 0, started.stderr
