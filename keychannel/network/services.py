"""Writes of the network app. Every write checks its policy and runs in one transaction."""

from django.db import transaction

from keychannel.core.choices import OrganizationKind
from keychannel.core.models import Organization
from keychannel.core.policies import require

from .models import Distributor

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
