"""Issue 22, the home pages' p95: a worker freezes the heap it loaded at start (keychannel/wsgi.py), so the cyclic
garbage collector's full collection walks only what requests left behind, not the ~250k objects of Django, the
views and the API schemas (a 150-400 ms pause about one network cockpit in twenty before)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBE = """
import gc, json
from keychannel.wsgi import application
frozen = gc.get_freeze_count()
tracked = len(gc.get_objects())
print(json.dumps({"frozen": frozen, "tracked": tracked}))
"""


def test_a_started_worker_has_frozen_its_startup_heap(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "keychannel.settings", "KEYCHANNEL_DATA_DIR": str(tmp_path),
           "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    heap = json.loads(done.stdout.strip().splitlines()[-1])
    # Django, the apps, the URL conf and the API schemas are out of the collector's sight; little is left in it.
    assert heap["frozen"] > 50_000, heap
    assert heap["tracked"] < heap["frozen"] / 10, heap
