import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keychannel.settings")
application = get_wsgi_application()


def freeze_startup_heap() -> int:
    """Load the URL conf (every view module and API schema, which the first request would load anyway), then move
    everything a worker keeps for its life out of the cyclic garbage collector's sight (``gc.freeze``): a full
    collection otherwise walks these ~250k objects, a 150-400 ms pause about one heavy page in twenty (the home
    pages' p95, issue 22). Answers how many objects are frozen."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


freeze_startup_heap()
