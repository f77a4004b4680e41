"""Fire API requests at the same moment from real threads, one database connection each."""

import json
import threading

from django.test import Client

from keychannel.core import services as core_services
from keychannel.core.scoping import Principal


def token_for(user) -> str:
    _t, raw = core_services.api_token_create(principal=Principal.for_user(user), name="race")
    return raw


def fire_at_once(calls, *, join_timeout=180):
    """Run every ``(token, send)`` at once: ``send(client)`` makes the request with a client carrying that bearer
    token. Returns ``[(status, json)]`` in order; a crash inside a thread counts as a 599."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, token, send):
        from django.db import connections

        try:
            client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
            barrier.wait(timeout=30)
            response = send(client)
            results[i] = (response.status_code, response.json() if response.content else None)
        except Exception as exc:  # noqa: BLE001 - a crash in a thread is a failed request
            results[i] = (599, repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, token, send)) for i, (token, send) in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=join_timeout)
    return results


def fire_json(requests):
    """``[(method, url, token, body)]`` sent as JSON at the same moment."""
    def sender(method, url, body):
        return lambda client: client.generic(method, url, json.dumps(body), content_type="application/json")

    return fire_at_once([(token, sender(method, url, body)) for method, url, token, body in requests])
