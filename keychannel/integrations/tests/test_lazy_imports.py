"""Worker memory (issue 22.6): a worker that has loaded the application, its URLs and its authentication backends
has not imported the libraries only rare requests use. mozilla-django-oidc's backend brings PyJWT, cryptography
and requests (about 20 MB a worker); holidays and icalendar a few MB more. They load on first use."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
RARE = ["mozilla_django_oidc.auth", "jwt", "requests", "holidays", "icalendar"]
PROBE = f"""
import json, sys
from keychannel.wsgi import application
from django.contrib.auth import get_backends
from django.urls import get_resolver
get_resolver().url_patterns
get_backends()  # what every password sign-in does first
print(json.dumps([name for name in {RARE!r} if name in sys.modules]))
"""


def test_a_started_worker_has_not_imported_the_rarely_used_libraries(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "keychannel.settings", "KEYCHANNEL_DATA_DIR": str(tmp_path),
           "PYTHONPATH": str(ROOT)}
    env.pop("OIDC_CLIENT_ID", None)
    env.pop("KEYCHANNEL_OIDC_CLIENT_ID", None)
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
