"""Demo sell-out: two years of monthly reports for every demo distributor, with seasonality, several key
accounts buying far below their potential, product-code mappings, a survey campaign with answers, segments.

Deterministic (``ctx.sub_rng("sales")``) and idempotent: a distributor that already has demo reports is
skipped, the survey is looked up by name. Lines are written with one bulk insert per distributor.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from keychannel.clients.models import CorporateClient
from keychannel.network.demo import romanian_tax_id

from . import rollups
from .choices import ReportSource, ReportStatus, WhyChose, WillContinue
from .models import (
    ColumnMapping,
    ProductMapping,
    SalesLine,
    SalesReport,
    Survey,
    SurveyInvitation,
    SurveyResponse,
)
from .parsing import suggest_mapping
from .services import segments_refresh
from .survey_services import hash_token

MONTHS = 24
# Industrial buying: slow January and August, strong spring and autumn.
SEASON = [0.7, 0.85, 1.1, 1.15, 1.1, 1.0, 0.9, 0.65, 1.1, 1.2, 1.15, 1.0]
HEADER = ["Data factură", "Nr. factură", "CUI client", "Denumire client", "Cod produs", "Cantitate", "Valoare fără TVA (RON)"]
SURVEY_NAME = "Client satisfaction 2026"


def product_codes(distributor, lines):
    """Each distributor names the products its own way: two codes per product line."""
    prefix = distributor.code.upper()
    return [(f"{prefix}-{line.code[:4].upper()}-{n}", line) for line in lines for n in (1, 2)]


def _months(end: date, count: int) -> list[date]:
    out, current = [], end
    for _ in range(count):
        out.append(current)
        current = (current - timedelta(days=1)).replace(day=1)
    return list(reversed(out))


def _demo_clients(ctx, rng, distributor):
    clients = [c for c in ctx.data.get("clients", []) if c.distributor_id == distributor.pk]
    if not clients:
        clients = list(CorporateClient.objects.filter(distributor=distributor).order_by("pk")[:40])
    if clients:
        return clients[:40]
    # No clients generator ran: give the distributor a small client book of its own.
    made = []
    for n in range(12):
        tax_id = romanian_tax_id(rng)
        name = f"{ctx.faker.last_name()} {rng.choice(['Industries', 'Construct', 'Logistic', 'Agro', 'Energy'])} SRL"
        client, _ = CorporateClient.objects.get_or_create(
            tax_id=tax_id, defaults={"legal_name": name, "distributor": distributor, "status": "active",
                                     "is_key_account": n < 3},
        )
        made.append(client)
    return made


def seed(ctx):
    rng = ctx.sub_rng("sales")
    distributors = ctx.data.get("distributors", [])
    product_lines = ctx.data.get("product_lines", [])
    if not distributors or not product_lines:
        return
    end = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)  # the last complete month
    months = _months(end, MONTHS)
    admin = ctx.users.get("admin")
    touched = []
    for distributor in distributors:
        lines = list(distributor.product_lines.all()) or product_lines[:3]
        codes = product_codes(distributor, lines)
        existing_codes = set(ProductMapping.objects.filter(distributor=distributor).values_list("product_code", flat=True))
        ProductMapping.objects.bulk_create([
            ProductMapping(distributor=distributor, product_code=code, product_line=line, description=line.name)
            for code, line in codes if code not in existing_codes
        ])
        ColumnMapping.objects.get_or_create(distributor=distributor, name="Default", defaults={
            "columns": suggest_mapping(HEADER), "is_default": True, "created_by": admin})
        clients = _demo_clients(ctx, rng, distributor)
        # Draw every random value on every run so a second run reproduces the first exactly.
        profiles = []
        for index, client in enumerate(clients):
            base = rng.uniform(2_000, 60_000) * (3 if client.is_key_account else 1)
            below = client.is_key_account and index % 3 == 0  # a third of the key accounts buy in small batches
            growth = rng.uniform(-0.35, 0.4)
            frequency = rng.uniform(0.35, 0.95)
            stops = rng.random() < 0.08  # some clients stop buying half-way
            profiles.append((client, base, below, growth, frequency, stops))
        month_draws = [[rng.random() for _ in profiles] for _ in months]
        line_draws = [[(rng.randint(1, 3), rng.random(), rng.randint(1, 28)) for _ in profiles] for _ in months]
        if SalesReport.objects.filter(distributor=distributor, source=ReportSource.DEMO).exists():
            continue
        for client, base, below, _growth, _f, _s in profiles:
            if client.is_key_account and client.potential_annual_volume == 0:
                yearly = Decimal(int(base * 12 * (8 if below else 1.4)))
                CorporateClient.objects.filter(pk=client.pk).update(potential_annual_volume=yearly)
        reports, report_lines = [], []
        for m_index, month in enumerate(months):
            season = SEASON[month.month - 1]
            rows = []
            for c_index, (client, base, below, growth, frequency, stops) in enumerate(profiles):
                if month_draws[m_index][c_index] > frequency or (stops and m_index > MONTHS * 0.6):
                    continue
                trend = 1 + growth * (m_index / MONTHS)
                count, split, day = line_draws[m_index][c_index]
                total = base * season * trend * (0.12 if below else 1)
                for n in range(count):
                    code, line = codes[(c_index + n) % len(codes)]
                    amount = Decimal(str(round(total * (split if n == 0 else (1 - split) / max(count - 1, 1)) + 50, 2)))
                    quantity = Decimal(max(1, int(amount / 900)))
                    when = month.replace(day=min(day + n, 28))
                    rows.append((when, client, code, line, quantity, amount, f"{distributor.code.upper()}{month:%y%m}{len(rows) + 1:04d}"))
            if not rows:
                continue
            content = ("\r\n".join([";".join(HEADER)] + [
                ";".join([f"{w:%d.%m.%Y}", inv, c.tax_id, c.legal_name, code, str(q), str(a).replace(".", ",")])
                for w, c, code, _l, q, a, inv in rows
            ]) + "\r\n").encode("cp1250", errors="replace")
            report = SalesReport(
                distributor=distributor, period=month, file_name=f"vanzari_{distributor.code}_{month:%Y-%m}.csv",
                file_hash=hashlib.sha256(content).hexdigest(), content=content, file_format="csv", encoding="cp1250",
                delimiter=";", source=ReportSource.DEMO, status=ReportStatus.APPLIED, headers=HEADER,
                mapping=suggest_mapping(HEADER), row_count=len(rows), line_count=len(rows),
                total_amount=sum((r[5] for r in rows), Decimal(0)), total_quantity=sum((r[4] for r in rows), Decimal(0)),
                uploaded_by=ctx.users.get(f"{distributor.code}-head"), applied_at=timezone.now(),
            )
            reports.append(report)
            report_lines.append(rows)
        SalesReport.objects.bulk_create(reports)
        SalesLine.objects.bulk_create([
            SalesLine(report=report, distributor=distributor, client=c, product_line=line, date=w, quantity=q, amount=a,
                      currency="RON", invoice=inv, row=i + 2)
            for report, rows in zip(reports, report_lines, strict=True)
            for i, (w, c, _code, line, q, a, inv) in enumerate(rows)
        ], batch_size=5000)
        touched.append(distributor.pk)
    _seed_survey(ctx, rng, distributors)
    if touched:
        rollups.rebuild()  # the reports and lines went in by bulk_create, past SalesReport.save (sales/rollups.py)
        segments_refresh(distributor_ids=touched, years=None)
    ctx.data["sales_months"] = months


def _seed_survey(ctx, rng, distributors):
    survey, created = Survey.objects.get_or_create(
        name=SURVEY_NAME, distributor=None,
        defaults={"intro": "Two minutes to tell us how we serve you.", "closes_on": timezone.localdate() + timedelta(days=60),
                  "created_by": ctx.users.get("program")},
    )
    clients = list(CorporateClient.objects.filter(distributor__in=distributors).order_by("pk")[:400])
    draws = [(rng.random(), rng.randint(0, 10), rng.choice(WhyChose.values), rng.random()) for _ in clients]
    if not created and survey.invitations.exists():
        return
    expires = timezone.now() + timedelta(days=60)
    invitations, answers = [], []
    for index, (client, (answered, score, why, cont)) in enumerate(zip(clients, draws, strict=True)):
        if index % 3:
            continue  # a third of the client book is surveyed
        invitation = SurveyInvitation(
            survey=survey, client=client, distributor_id=client.distributor_id, contact_name=f"Contact {client.pk}",
            token_hash=hash_token(f"demo-{survey.pk}-{client.pk}"), expires_at=expires,
            responded_at=timezone.now() if answered < 0.7 else None,
        )
        invitations.append(invitation)
        if answered < 0.7:
            if client.is_key_account and client.potential_annual_volume and index % 2 == 0:
                score = min(score, 6)  # unhappy key accounts buying far below potential
            answers.append((invitation, score, why, cont))
    SurveyInvitation.objects.bulk_create(invitations)
    SurveyResponse.objects.bulk_create([
        SurveyResponse(invitation=inv, survey=survey, client_id=inv.client_id, distributor_id=inv.distributor_id,
                       why_chose=why, will_continue=WillContinue.YES if cont < 0.7 else WillContinue.MAYBE if cont < 0.9 else WillContinue.NO,
                       recommend=score, expected_volume=Decimal(int(cont * 500_000)),
                       comment="" if score > 6 else "Delivery times are too long for our plants.")
        for inv, score, why, cont in answers
    ])
