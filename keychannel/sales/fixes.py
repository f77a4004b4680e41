"""Fixing a rejected sales report in bulk (docs/sales.md, "Fixing a rejected file in bulk").

A distributor's first real report names clients and product codes the book does not know yet: hundreds of row
problems with a few dozen causes. These writes fix the causes, each whole or not at all:

- ``report_clients_create``: create the unmatched clients as the file gives them (name, tax id or client code,
  city), each through the clients service (its duplicate check, its matcher, its rules on who may create);
- ``report_clients_map``: map unmatched tax ids / client codes to existing clients the user sees (remembered for
  the distributor's next files, ``ClientMapping``);
- ``report_products_map``: map unknown product codes to product lines (remembered, ``ProductMapping``);
- ``report_fix``: the three at once, as the report page's one form sends them.

The report is then validated again by a background job (``imports.import_job_rerun``), which applies it whole
or not at all like any import. The pages and ``/api/v1/sales-imports/{id}/…`` call these same functions.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from keychannel.clients.models import CorporateClient
from keychannel.clients.services import DuplicateClientError, client_create
from keychannel.core.errors import ConflictError
from keychannel.core.policies import require
from keychannel.network.models import ProductLine

from .choices import ReportStatus
from .models import SalesReport
from .services import client_mapping_set, product_mapping_set

MAX_ITEMS = 2000  # items per request: more than any report's distinct clients or codes in practice


def duplicate_message(exc: DuplicateClientError) -> str:
    """The clients service's refusal as a user may read it: the look-alikes they may see by name, the others
    only as "served elsewhere in the network" (never who)."""
    names = "; ".join(f"{c.client.legal_name} ({c.client.tax_id or '—'})" for c in exc.check.candidates[:5])
    if names:
        return _("Possible duplicates: %(names)s. Map to one of them, or confirm it is another company.") % {
            "names": names}
    if exc.check.exact:
        return str(exc.check.served_elsewhere_message)
    return _("A client with a very similar name is already served in the network. Confirm it is another "
             "company, or ask your channel manager.")


def _locked_report(principal, report: SalesReport) -> SalesReport:
    require(principal, "sales.mapping.change", report.distributor)
    report = SalesReport.objects.select_for_update().select_related("distributor").get(pk=report.pk)
    if report.status not in (ReportStatus.REJECTED, ReportStatus.CONFLICT):
        raise ConflictError(_("Only a rejected or waiting report can be fixed."))
    return report


def _check_count(items, field):
    if len(items) > MAX_ITEMS:
        raise ValidationError({field: _("At most %(n)d items at a time.") % {"n": MAX_ITEMS}})


def _entries(report) -> dict[str, dict]:
    return {e["key"]: e for e in report.unmatched_clients or []}


def _create_clients(principal, report, items, errors) -> list[CorporateClient]:
    entries = _entries(report)
    created = []
    for item in items:
        key = str(item.get("key") or "")
        entry = entries.get(key)
        if entry is None:
            errors[f"clients.{key}"] = _("This client is not among the report's unmatched clients.")
            continue
        name = (entry.get("name") or "").strip()
        if not name:
            errors[f"clients.{key}"] = _("The file gives no name for this client: map it to an existing client.")
            continue
        try:
            with transaction.atomic():
                created.append(client_create(
                    principal=principal, legal_name=name[:200], tax_id=entry.get("tax_id", ""),
                    code=(entry.get("client_code") or "")[:40], city=(entry.get("city") or "")[:120],
                    distributor=report.distributor, status="active",
                    confirm_not_duplicate=bool(item.get("confirm_not_duplicate"))))
        except DuplicateClientError as exc:
            errors[f"clients.{key}"] = duplicate_message(exc)
        except ValidationError as exc:
            errors[f"clients.{key}"] = f"{name}: " + " ".join(str(m) for m in exc.messages)
    return created


def _map_clients(principal, report, items, errors) -> int:
    entries = _entries(report)
    visible = CorporateClient.objects.visible_to(principal)
    count = 0
    for item in items:
        key = str(item.get("key") or "")
        if key not in entries:
            errors[f"clients.{key}"] = _("This client is not among the report's unmatched clients.")
            continue
        client = item.get("client")
        client_id = getattr(client, "pk", client)
        if not isinstance(client_id, int) or not visible.filter(pk=client_id).exists():
            errors[f"clients.{key}"] = _("Choose a client you can see.")
            continue
        if not visible.filter(pk=client_id, distributor_id=report.distributor_id).exists():
            errors[f"clients.{key}"] = _("Choose one of this distributor's clients.")
            continue
        client_mapping_set(principal=principal, distributor=report.distributor, source_key=key,
                           client=CorporateClient.objects.get(pk=client_id))
        count += 1
    return count


def _map_products(principal, report, items, errors) -> int:
    codes = {e["code"] for e in report.unknown_products or []}
    count = 0
    for item in items:
        code = str(item.get("code") or "")
        if code not in codes:
            errors[f"products.{code}"] = _("This product code is not among the report's unknown codes.")
            continue
        line = item.get("product_line")
        line_id = getattr(line, "pk", line)
        line = ProductLine.objects.filter(pk=line_id).first() if isinstance(line_id, int) else None
        if line is None:
            errors[f"products.{code}"] = _("Choose a product line for %(code)s.") % {"code": code}
            continue
        name = next((e.get("name", "") for e in report.unknown_products if e["code"] == code), "")
        product_mapping_set(principal=principal, distributor=report.distributor, product_code=code,
                            product_line=line, description=name)
        count += 1
    return count


def _done(errors):
    if errors:
        raise ValidationError(errors)  # rolls back every create and mapping of this call


@transaction.atomic
def report_clients_create(*, principal, report: SalesReport, items: list[dict]) -> list[CorporateClient]:
    """Create the report's unmatched clients named in ``items`` (``key``, optional ``confirm_not_duplicate``),
    all or none: any refusal (a likely duplicate, a bad value) is reported per key and nothing is created."""
    report = _locked_report(principal, report)
    _check_count(items, "clients")
    errors: dict = {}
    created = _create_clients(principal, report, items, errors)
    _done(errors)
    return created


@transaction.atomic
def report_clients_map(*, principal, report: SalesReport, items: list[dict]) -> int:
    """Map the report's unmatched keys to existing clients (``key``, ``client``): all or none."""
    report = _locked_report(principal, report)
    _check_count(items, "clients")
    errors: dict = {}
    count = _map_clients(principal, report, items, errors)
    _done(errors)
    return count


@transaction.atomic
def report_products_map(*, principal, report: SalesReport, items: list[dict]) -> int:
    """Map the report's unknown product codes to product lines (``code``, ``product_line``): all or none."""
    report = _locked_report(principal, report)
    _check_count(items, "products")
    errors: dict = {}
    count = _map_products(principal, report, items, errors)
    _done(errors)
    return count


@transaction.atomic
def report_fix(*, principal, report: SalesReport, create: list[dict], map_clients: list[dict],
               map_products: list[dict]) -> dict:
    """The report page's one form: create, map clients and map codes together, all or none. Returns counts."""
    report = _locked_report(principal, report)
    _check_count(create, "clients")
    _check_count(map_clients, "clients")
    _check_count(map_products, "products")
    errors: dict = {}
    created = _create_clients(principal, report, create, errors)
    mapped = _map_clients(principal, report, map_clients, errors)
    products = _map_products(principal, report, map_products, errors)
    _done(errors)
    return {"created": len(created), "mapped": mapped, "products": products}
