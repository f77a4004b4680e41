"""Writes of the network app. Every write checks its policy and runs in one transaction."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from keychannel.core.choices import OrganizationKind
from keychannel.core.models import Organization
from keychannel.core.policies import require

from .models import Coverage, Distributor, Playbook

# Who may change which field: a channel manager adjusts the segmentation of the distributors they manage,
# but reassigning a distributor to another channel manager is for the program office.
SEGMENT_FIELDS = {"size_tier", "contract_strength", "stance", "shares_goals", "shares_methods"}


@transaction.atomic
def distributor_create(*, principal, code: str, legal_name: str, tax_id: str, territory, **fields) -> Distributor:
    require(principal, "network.distributor.create")
    product_lines = fields.pop("product_lines", None)
    organization = Organization.objects.create(name=legal_name, kind=OrganizationKind.DISTRIBUTOR)
    distributor = Distributor(
        organization=organization, code=code.lower(), legal_name=legal_name, tax_id=tax_id, territory=territory, **fields
    )
    distributor.full_clean()
    distributor.save()
    if product_lines is not None:
        distributor.product_lines.set(product_lines)
    return distributor


@transaction.atomic
def distributor_update(*, principal, distributor: Distributor, **fields) -> Distributor:
    require(principal, "network.distributor.change", distributor)
    if not principal.has_role("admin", "program_manager"):
        fields = {k: v for k, v in fields.items() if k in SEGMENT_FIELDS}
    product_lines = fields.pop("product_lines", None)
    for name, value in fields.items():
        setattr(distributor, name, value)
    distributor.full_clean()
    distributor.save()
    if distributor.legal_name != distributor.organization.name:
        distributor.organization.name = distributor.legal_name
        distributor.organization.save(update_fields=["name", "updated_at"])
    if product_lines is not None:
        distributor.product_lines.set(product_lines)
    return distributor


# --- coverage ---------------------------------------------------------------------------------------------------

COVERAGE_FIELDS = {"territory", "product_line", "exclusive", "valid_from", "valid_to", "note"}


def _check_coverage(coverage: Coverage) -> None:
    coverage.full_clean()
    if not coverage.distributor.product_lines.filter(pk=coverage.product_line_id).exists():
        raise ValidationError({"product_line": _("This product line is not in the distributor's agreement.")})
    same_cell = Coverage.objects.filter(territory_id=coverage.territory_id, product_line_id=coverage.product_line_id)
    same_cell = same_cell.exclude(pk=coverage.pk).exclude(distributor_id=coverage.distributor_id)
    if coverage.valid_to is not None:
        same_cell = same_cell.filter(valid_from__lte=coverage.valid_to)
    same_cell = same_cell.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=coverage.valid_from))
    if coverage.exclusive and same_cell.exists():
        raise ValidationError({"exclusive": _("Another distributor covers this territory and product line meanwhile.")})
    if same_cell.filter(exclusive=True).exists():
        raise ValidationError({"territory": _("Another distributor holds exclusive rights here meanwhile.")})


@transaction.atomic
def coverage_create(*, principal, distributor: Distributor, **fields) -> Coverage:
    require(principal, "network.coverage.change", distributor)
    coverage = Coverage(distributor=distributor, **{k: v for k, v in fields.items() if k in COVERAGE_FIELDS})
    _check_coverage(coverage)
    coverage.save()
    return coverage


@transaction.atomic
def coverage_update(*, principal, coverage: Coverage, **fields) -> Coverage:
    require(principal, "network.coverage.change", coverage.distributor)
    for name, value in fields.items():
        if name in COVERAGE_FIELDS:
            setattr(coverage, name, value)
    _check_coverage(coverage)
    coverage.save()
    return coverage


# --- playbooks --------------------------------------------------------------------------------------------------


@transaction.atomic
def playbook_update(*, principal, playbook: Playbook, title: str, approach: str, actions: str = "") -> Playbook:
    require(principal, "network.playbook.change", playbook)
    playbook.title, playbook.approach, playbook.actions = title, approach, actions
    playbook.full_clean()
    playbook.save()
    return playbook
