"""The fast list path (core.api_rows) against ninja's own, on the seeded demo (called from tests/test_demo.py,
which seeds it once per run): every list of the API answers the same status and the same bytes both ways."""

from unittest import mock

from django.core import signing
from django.test import Client
from ninja.utils import normalize_path

from keychannel.core import api_rows, services
from keychannel.core.scoping import Principal


def list_operations() -> list[str]:
    """Every paginated GET operation of the API whose path takes no parameter, as a URL."""
    from keychannel.api import api

    urls = []
    for bound in api._get_bound_routers():
        for path, view in bound.path_operations.items():
            full = normalize_path("/" + "/".join(p for p in ("api/v1/", bound.prefix, path) if p))
            if "{" in full:
                continue
            for operation in view.operations:
                if "GET" in operation.methods and getattr(operation.view_func, "kc_fast_list", False):
                    urls.append(full)
    return sorted(set(urls))


def _client(username):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=username)
    _token, raw = services.api_token_create(principal=Principal.for_user(user), name="rows")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def check_lists_answer_as_ninja(usernames=("admin", "d01-head")):
    """First page and a small later page of every list, for each user: fast status and body == ninja's."""
    compared = rows_seen = 0
    # A cursor is signed with the second it was made in: the same second both ways, so equal rows give equal bytes.
    with mock.patch.object(signing.TimestampSigner, "timestamp", lambda self: "1"):
        for username in usernames:
            client = _client(username)
            for url in list_operations():
                for query in ("", "?limit=3&offset=2"):
                    try:
                        api_rows.ENABLED = False
                        slow = client.get(url + query)
                    finally:
                        api_rows.ENABLED = True
                    fast = client.get(url + query)
                    assert (fast.status_code, fast.content) == (slow.status_code, slow.content), url + query
                    if slow.status_code == 200:
                        compared += 1
                        rows_seen += len(slow.json().get("items", []))
    assert compared > 60
    assert rows_seen > 500  # the demo fills the lists: rows were compared, not empty pages
