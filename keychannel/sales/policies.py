"""Write rules of the sales app.

- Upload a distributor's report, maintain its column / product / client mappings and recompute its
  segments: admin and program_manager (any distributor), the channel manager of that distributor, and
  the distributor's own head. Executives, mentors, KAMs and distributor salespeople read only.
- Surveys: admin and program_manager run network-wide campaigns and campaigns for any distributor; a
  channel manager or a distributor head runs campaigns for the distributors they may upload for.
"""

from keychannel.core.choices import Role
from keychannel.core.policies import is_network_admin, rule

UPLOADERS = (Role.ADMIN, Role.PROGRAM_MANAGER, Role.CHANNEL_MANAGER, Role.DIST_HEAD)


def manages_sales_of(principal, distributor=None) -> bool:
    """``distributor`` None asks "may this role upload for some distributor at all"."""
    if not principal.has_role(*UPLOADERS):
        return False
    if is_network_admin(principal) or distributor is None:
        return True
    distributor_id = getattr(distributor, "pk", distributor)
    if principal.has_role(Role.CHANNEL_MANAGER):
        return principal.reaches(distributor_id)
    return distributor_id == principal.own_distributor_id


@rule("sales.salesreport.upload")
def _upload(principal, distributor=None) -> bool:
    return manages_sales_of(principal, distributor)


@rule("sales.mapping.change")
def _change_mappings(principal, distributor=None) -> bool:
    return manages_sales_of(principal, distributor)


@rule("sales.clientsegment.recompute")
def _recompute(principal, distributor=None) -> bool:
    return manages_sales_of(principal, distributor)


@rule("sales.survey.create")
def _create_survey(principal, distributor=None) -> bool:
    if distributor is None:
        return is_network_admin(principal)
    return manages_sales_of(principal, distributor)


@rule("sales.survey.change")
def _change_survey(principal, survey=None) -> bool:
    if survey is None:
        return False
    if survey.distributor_id is None:
        return is_network_admin(principal)
    return manages_sales_of(principal, survey.distributor_id)
