"""gunicorn configuration for ``loadtest/run.py --profile``: cProfile in every worker, written out when it stops.

Each worker loads the application and its URLs first (Django imports them on the first request otherwise), then
profiles its main thread (the sync worker serves every request there) until it exits, and writes
``$KEYCHANNEL_PROFILE_DIR/worker-<pid>.prof``; run.py merges them (pstats). The timer is the process's CPU time,
so time spent waiting (for PostgreSQL, or for a core on a busy machine) is not counted. Loaded only by the load
test's gunicorn command line (``-c``): nothing of it is in the application or its settings.
"""

import cProfile
import os
import time

_profile = None


def post_worker_init(worker):
    global _profile
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - import every urls module and the API's routers now
    _profile = cProfile.Profile(time.process_time)
    _profile.enable()


def worker_exit(server, worker):
    if _profile is not None:
        _profile.disable()
        _profile.dump_stats(os.path.join(os.environ["KEYCHANNEL_PROFILE_DIR"], f"worker-{os.getpid()}.prof"))
