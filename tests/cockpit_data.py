"""Due items of every kind for the cockpit tests (tests/test_cockpit.py, tests/browser/test_cockpit.py), and the
shared ways those tests build one panel, give the running program goals and count the model instances a panel
builds."""

import datetime
import itertools
import re
from contextlib import contextmanager
from decimal import Decimal

from django.db import connection
from django.db.models.signals import pre_init
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from keychannel.channel.choices import RegistrationStatus
from keychannel.channel.tests.factories import make_client, make_conflict, make_registration
from keychannel.clients.models import AccountAction, AccountPlan
from keychannel.competence.choices import TaskStatus
from keychannel.competence.models import CoachingSession, ConsultationRequest, Mentorship
from keychannel.competence.tests.factories import KamTaskFactory
from keychannel.core.cockpit import one_build, registered_panels
from keychannel.deals.tests.factories import OpportunityFactory
from keychannel.program.choices import GoalLevel, ProgramStatus
from keychannel.program.models import Goal, Program
from keychannel.program.tests.factories import build as program_data

_seq = itertools.count(1)


def _side_users(world, side):
    if side == "own":
        return world.user("dist_head"), world.user("dist_sales")
    return world.other_users["dist_head"], world.other_users["dist_sales"]


def add_work(world, side: str):
    """One of every due item for the distributor ``side`` ("own" or "other"), named after the side."""
    n = next(_seq)
    today = timezone.localdate()
    distributor = world.distributor(side)
    head, sales = _side_users(world, side)
    client = make_client(distributor=distributor, territory=world.territory, legal_name=f"Client {side} {n} SRL",
                         coverage_score=10, risk_flag_count=3)
    OpportunityFactory(client=client, owner=sales, title=f"Deal {side} {n}",
                       next_step_on=today - datetime.timedelta(days=3))
    make_registration(distributor=distributor, client=client, user=sales, title=f"Registration {side} {n}")
    approved = make_registration(
        distributor=distributor, client=make_client(distributor=distributor, territory=world.territory,
                                                    legal_name=f"Protected {side} {n} SRL"),
        user=sales, status=RegistrationStatus.APPROVED, protected_until=today + datetime.timedelta(days=5))
    make_conflict(registration=approved)
    plan = AccountPlan.objects.create(client=client)
    AccountAction.objects.create(plan=plan, title=f"Action {side} {n}", owner=sales, due_on=today)
    AccountAction.objects.create(plan=plan, title=f"KAM action {side} {n}", owner=world.user("embedded_kam"),
                                 due_on=today)
    if side == "own":
        KamTaskFactory(distributor=distributor, kam=world.user("embedded_kam"), title=f"Task {side} {n}",
                       status=TaskStatus.BLOCKED, created_by=world.user("program_manager"), due_on=today)
        ConsultationRequest.objects.create(distributor=distributor, requested_by=sales,
                                           recipient=world.user("embedded_kam"), subject=f"Help {side} {n}",
                                           message="Who decides?")
        mentorship = Mentorship.objects.create(mentor=world.user("mentor"), distributor=distributor, client=client,
                                               starts_on=datetime.date(2020, 1, 1))
        CoachingSession.objects.create(mentorship=mentorship, participants="both", topic="Buying centre",
                                       next_step="Meet the CFO", next_step_due=today)


def busy(world):
    """The test world with program data (goals, support, events, ledger, a program awaiting sign-off) and one due
    item of every kind on each side."""
    data = program_data(world)
    for key in ("goals", "requested", "approved", "claimed", "events", "ledger", "awaiting"):
        data[key]  # noqa: B018  (made lazily)
    add_work(world, "own")
    add_work(world, "other")
    return world


# A placeholder the home shell draws for a part it loads in its own request (core/includes/cockpit_panel.html,
# home_figures.html): the browser (HTMX) requests each on load.
_LAZY = re.compile(r'hx-get="([^"]+)" hx-trigger="load"')


def lazy_urls(html: str) -> list[str]:
    return _LAZY.findall(html)


def home_parts(client) -> list[tuple[str, str]]:
    """(url, HTML) of the home shell and of each part it loads (lazy panels, figures), as HTMX asks for them."""
    from django.urls import reverse

    shell = client.get(reverse("core:home"))
    assert shell.status_code == 200
    parts = [(reverse("core:home"), shell.content.decode())]
    for url in lazy_urls(parts[0][1]):
        response = client.get(url, HTTP_HX_REQUEST="true")
        assert response.status_code == 200, (url, response.status_code)
        parts.append((url, response.content.decode()))
    return parts


def home_html(client) -> str:
    """The home page as a user sees it once every part has loaded (the shell, then each part's HTML)."""
    return "\n".join(html for _url, html in home_parts(client))


def home_requests(client) -> list[list[str]]:
    """The SQL of each request of one home page (the shell, then each lazy part), after a first load has warmed the
    caches (settings, sessions)."""
    urls = [url for url, _html in home_parts(client)]
    statements = []
    for n, url in enumerate(urls):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, **({"HTTP_HX_REQUEST": "true"} if n else {}))
        assert response.status_code == 200
        statements.append([q["sql"] for q in captured.captured_queries])
    return statements


def home_statements(client) -> list[str]:
    """The SQL of one home page: its shell and every part it loads, after a warming load."""
    return [sql for request in home_requests(client) for sql in request]


def build_panel_sql(principal, key: str):
    """The registered panel ``key`` built as its own request builds it (inside ``one_build``, after the reach: the
    request's floor), and the SQL it ran: ``(content, [sql, ...])``."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    panel = {p.key: p for p in registered_panels()}[key]
    principal.distributor_ids  # noqa: B018  (the reach: the request's floor, read before the panel)
    with one_build(), CaptureQueriesContext(connection) as captured:
        content = panel.build(principal, timezone.localdate())
    return content, [q["sql"] for q in captured.captured_queries]


def add_goals(world, metric_keys, *, network_target=10, distributor_target=5):
    """A network goal (program level, at the top) on each metric of the latest launched program, and a goal of each
    distributor ("own", "other") under it; returns the program."""
    program = Program.objects.filter(status=ProgramStatus.LAUNCHED).order_by("-starts_on").first()
    for metric in metric_keys:
        root = Goal.objects.create(program=program, level=GoalLevel.PROGRAM, name=f"Network {metric}", metric=metric,
                                   target=Decimal(network_target), starts_on=program.starts_on, ends_on=program.ends_on)
        for side in ("own", "other"):
            Goal.objects.create(program=program, parent=root, level=GoalLevel.DISTRIBUTOR, name=f"{side} {metric}",
                                distributor=world.distributor(side), metric=metric,
                                target=Decimal(distributor_target), starts_on=program.starts_on,
                                ends_on=program.ends_on)
    return program


@contextmanager
def instances_built(model):
    """The instances of ``model`` built inside the block (a list filled as they are: pre_init)."""
    built = []

    def count(sender, **kwargs):
        built.append(sender)

    pre_init.connect(count, sender=model)
    try:
        yield built
    finally:
        pre_init.disconnect(count, sender=model)
