"""The sidebar and the top bar every page pays for (issue 22, the page floor): the sidebar is rendered once per
role and language and only its active entry is marked per page; the bell's unread count is read with the
membership, in the statement a page makes anyway. Every role still sees exactly its own entries."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from keychannel.core.choices import Role
from keychannel.core.models import Membership
from keychannel.core.navigation import sections_for
from keychannel.core.notifications import notification_send
from keychannel.core.scoping import Principal

pytestmark = pytest.mark.django_db

NAV = re.compile(r'<nav class="kc-sidebar[^>]*id="main-nav".*?</nav>', re.S)
ITEM = re.compile(r'kc-nav-section[^>]*>([^<]*)</div>|<a class="nav-link ?(active)?" href="([^"]*)"><i [^>]*></i> ([^<]*)</a>')


def _shown(html: str) -> list:
    """(section title) and (url, label, active) in the order the sidebar shows them."""
    (nav,) = NAV.findall(html)
    return [title.strip() if title or not url else (url, label.strip(), bool(active))
            for title, active, url, label in ITEM.findall(nav)]


def _expected(principal, path: str, *, home: bool = False) -> list:
    """What the sidebar showed when it was built on each request (sections_for, the previous template loop)."""
    shown = [(reverse("core:home"), str(translation.gettext("Home")), home)]
    for section in sections_for(principal, "" if home else path):
        shown.append(str(section["title"]))
        shown += [(e["url"], str(e["label"]), e["active"]) for e in section["entries"]]
    return shown


PATHS = ["core:home", "deals:pipeline", "network:distributor_list", "clients:client_list", "core:notification_list"]


@pytest.mark.parametrize("role", [str(r) for r in Role])
def test_each_role_sees_its_own_entries_with_the_current_one_active(world, client, role):
    user = world.user(role)
    principal = Principal.for_user(user)
    client.force_login(user)
    for name in PATHS:
        path = reverse(name)
        answer = client.get(path)
        assert answer.status_code == 200, (role, name)
        shown = _shown(answer.content.decode())
        assert shown == _expected(principal, path, home=name == "core:home"), (role, name)
        assert sum(1 for item in shown if isinstance(item, tuple) and item[2]) == (0 if name == "core:notification_list"
                                                                                   else 1)


def test_roles_and_languages_do_not_share_a_sidebar(world, client):
    """Rendered once per role and language: a head's page after an administrator's shows the head's entries, a
    Romanian member's page after an English one's shows Romanian labels."""
    path = reverse("deals:pipeline")
    for role in (Role.ADMIN, Role.DIST_HEAD, Role.ADMIN, Role.DIST_SALES):
        user = world.user(str(role))
        client.force_login(user)
        assert _shown(client.get(path).content.decode()) == _expected(Principal.for_user(user), path), role
    head = world.user(str(Role.DIST_HEAD))
    Membership.objects.filter(user=head).update(language="ro")
    client.force_login(head)
    with translation.override("en"):  # the page activates Romanian: not for the tests after this one
        shown = _shown(client.get(path).content.decode())
    with translation.override("ro"):
        assert shown == _expected(Principal.for_user(head), path)
    with translation.override("en"):  # the English labels differ: the Romanian ones were shown
        assert shown != _expected(Principal.for_user(head), path)


def test_a_page_reads_the_unread_count_with_the_membership(world, client):
    user = world.user(str(Role.DIST_HEAD))
    for _n in range(3):
        notification_send(recipient=user, event="registration.expired", title=lambda: "Notice")
    client.force_login(user)
    client.get(reverse("deals:pipeline"))
    with CaptureQueriesContext(connection) as ctx:
        answer = client.get(reverse("deals:pipeline"))
    assert re.search(r'bi-bell[^<]*</i><span class="badge[^"]*">3</span>', answer.content.decode())
    notification_reads = [q["sql"] for q in ctx.captured_queries if '"core_notification"' in q["sql"]]
    assert len(notification_reads) == 1 and '"core_membership"' in notification_reads[0], notification_reads


def test_an_htmx_fragment_counts_no_notifications(world, client):
    user = world.user(str(Role.ADMIN))
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        answer = client.get(reverse("clients:client_list"), headers={"HX-Request": "true"})
    assert answer.status_code == 200 and b'id="main-nav"' not in answer.content
    assert not [q["sql"] for q in ctx.captured_queries if '"core_notification"' in q["sql"]]
