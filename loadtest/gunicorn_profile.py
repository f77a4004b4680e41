"""gunicorn configuration for ``loadtest/run.py --profile``: cProfile in every worker, written out when it stops.

Each worker profiles its main thread (the sync worker serves every request there) from its fork to its exit and
writes ``$KEYCHANNEL_PROFILE_DIR/worker-<pid>.prof``; run.py merges them (pstats). Loaded only by the load test's
gunicorn command line (``-c``): nothing of it is in the application or its settings.
"""

import cProfile
import os

_profile = None


def post_fork(server, worker):
    global _profile
    _profile = cProfile.Profile()
    _profile.enable()


def worker_exit(server, worker):
    if _profile is not None:
        _profile.disable()
        _profile.dump_stats(os.path.join(os.environ["KEYCHANNEL_PROFILE_DIR"], f"worker-{os.getpid()}.prof"))
