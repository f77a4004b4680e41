"""Demo service cases: four months of cases for the distributors' corporate clients, in every state — new, in
progress, waiting on the client, resolved in time or late, closed with a rating, breached and escalated, one taken
over by the manufacturer — all made through the services with the clock set to when each step happened."""

import datetime

from django.utils import timezone

from keychannel.clients.models import CorporateClient
from keychannel.core.scoping import Principal

from . import services, tokens
from .choices import CaseStatus, MessageKind
from .models import IntakeLink, ServiceCase

SUBJECTS = [
    ("incident", "Compresorul se oprește sub sarcină", "Compresorul de pe linia 2 se oprește după zece minute la sarcină maximă."),
    ("incident", "Presiunea scade noaptea", "Presiunea din rețea scade sub 6 bar între orele 2 și 4."),
    ("request", "Kituri de filtre pentru revizia de primăvară", "Avem nevoie de 12 kituri de filtre înainte de oprirea din aprilie."),
    ("warranty", "Ventilatorul uscătorului s-a defectat după 5 luni", "Ventilatorul uscătorului frigorific este blocat; unitatea este în garanție."),
    ("complaint", "Tehnicianul a venit fără piese", "A doua vizită fără supapa potrivită; linia a stat pe loc."),
    ("training", "Instruire pentru noii șefi de tură", "Patru șefi de tură noi au nevoie de cursul de operator."),
    ("incident", "Controlerul afișează eroarea E-17", "Controlerul afișează E-17 după fiecare repornire."),
]
PLAN = ["closed_rated", "closed_rated", "resolved_late", "closed_rated", "waiting", "in_progress", "breached_open",
        "new", "resolved_ok", "takeover", "closed_rated_late", "in_progress"]
CASES_PER_DISTRIBUTOR = 6


def _aware(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=timezone.get_current_timezone())


def seed(ctx):
    rng = ctx.sub_rng("service")
    today = timezone.localdate()
    program = Principal.for_user(ctx.users["program"])
    distributors = sorted(ctx.data.get("distributors") or [], key=lambda d: d.code)[:8]
    lines = list(ctx.data.get("product_lines") or [])
    made = 0
    for d_index, distributor in enumerate(distributors):
        head = ctx.users.get(f"{distributor.code}-head")
        sales = ctx.users.get(f"{distributor.code}-sales")
        if head is None or sales is None:
            continue
        clients = list(CorporateClient.objects.filter(distributor=distributor, archived_at__isnull=True)
                       .order_by("-is_key_account", "pk")[:3])
        if not clients:
            continue
        head_p, sales_p = Principal.for_user(head), Principal.for_user(sales)
        for client in clients[:1]:
            if not IntakeLink.objects.filter(client=client).exists():
                services.intake_link_create(principal=head_p, client=client)
        for index in range(CASES_PER_DISTRIBUTOR):
            story = PLAN[(d_index * CASES_PER_DISTRIBUTOR + index) % len(PLAN)]
            kind, subject, description = SUBJECTS[(d_index + index) % len(SUBJECTS)]
            client = clients[index % len(clients)]
            title = f"{subject} ({distributor.code.upper()}-{index + 1})"
            if ServiceCase.objects.filter(client=client, title=title).exists():
                continue
            days_ago = {"new": 0, "in_progress": 3, "waiting": 6, "breached_open": 12, "takeover": 9}.get(
                story, rng.randint(14, 120))
            opened = _aware(today - datetime.timedelta(days=days_ago), rng.choice([9, 10, 11, 14, 15]), 30)
            if opened > timezone.now():
                opened = timezone.now() - datetime.timedelta(minutes=30)
            priority = rng.choice(["critical", "high", "normal", "normal", "low"])
            fields = {"description": description, "case_type": kind, "priority": priority,
                      "product_line": rng.choice(lines) if lines else None, "site": f"{client.legal_name}, plant 1",
                      "contact_name": "Maria Ionescu", "contact_email": f"service.{client.pk}@client.example"}
            if index % 3 == 0:
                link = IntakeLink.objects.filter(client=client, active=True).first() or services.intake_link_create(
                    principal=head_p, client=client)[0]
                fields.pop("product_line")
                case = services.case_open_public(token=tokens.intake_token(link), title=title, now=opened,
                                                 product_line=None, **fields)
            else:
                case = services.case_open(principal=head_p if index % 2 else program, client=client, title=title,
                                          now=opened, **fields)
            made += 1
            _play(case, story, opened, head_p, sales_p, program, rng)
    services.escalate_cases()
    return made


def _play(case, story, opened, head, sales, program, rng):
    """Walk one case through its story, each step at the time it happened."""
    now = timezone.now()
    if story == "new":
        return
    services.case_assign(principal=head, case=case, assignee=sales.user)
    late = story in ("resolved_late", "closed_rated_late")
    first = opened + datetime.timedelta(hours=rng.choice([0.5, 1]) if not late else 30)
    first = min(first, now)
    services.message_add(principal=sales, case=case, body="Ne ocupăm: un tehnician vă sună în cel mult o oră.",
                         now=first)
    services.message_add(principal=sales, case=case, kind=MessageKind.INTERNAL,
                         body="Verifică ultimul raport de service înainte de apel.", now=first)
    if story == "in_progress":
        return
    if story == "breached_open":
        return  # the escalation run below records the breach and notifies
    if story == "takeover":
        services.case_takeover(principal=program, case=case, reason="Client cheie aproape de reînnoire: producătorul preia cazul.",
                               now=min(first + datetime.timedelta(hours=2), now))
        services.message_add(principal=program, case=case, kind=MessageKind.MANUFACTURER,
                             body="Reînnoirea contractului e în 60 de zile: nu ne permitem încă o vizită ratată.", now=min(first + datetime.timedelta(hours=2), now))
        return
    waiting_from = first + datetime.timedelta(hours=1)
    services.case_set_status(principal=sales, case=case, status=CaseStatus.WAITING_CLIENT, now=min(waiting_from, now))
    if story == "waiting":
        return
    answer = min(waiting_from + datetime.timedelta(days=1), now)
    services.public_reply(token=tokens.case_token(case), body="Am atașat fotografii cu plăcuța de identificare; seria 4471.",
                          now=answer)
    resolved = answer + datetime.timedelta(days=12 if late else rng.choice([1, 2]))
    if resolved > now:
        return
    services.case_set_status(principal=sales, case=case, status=CaseStatus.RESOLVED,
                             note="Am înlocuit piesa defectă și am testat sub sarcină.", now=resolved)
    if story in ("resolved_ok", "resolved_late"):
        return
    closed = min(resolved + datetime.timedelta(days=2), now)
    services.case_set_status(principal=head, case=case, status=CaseStatus.CLOSED, now=closed)
    rating = 2 if late else rng.choice([4, 5, 5, 3])
    services.case_rate(token=tokens.case_token(case), rating=rating,
                       comment="Rezolvat, dar a durat mult față de ce ni s-a promis." if late else "Rapid și clar, mulțumim.",
                       now=min(closed + datetime.timedelta(hours=3), now))
