"""The channel rules that hold on every write path (docs/rules.md).

- ``deal_gate``: when a distributor's deal needs an approved, unexpired registration. Registered into the deals
  app (``keychannel.deals.gate``) by ``ChannelConfig.ready``: the deals services that create, move and re-scope
  deals call it, whatever the path (form, kanban, API, admin, lead and registration flows).
- ``watch_confirmed_duplicate``: a client created past a "served elsewhere" duplicate warning opens a
  possible-duplicate conflict for the channel manager (receiver of ``clients.signals.duplicate_confirmed``).

Neither tells a distributor who the other distributor is: the reasons name the rule, never the other side.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from keychannel.core.policies import require
from keychannel.deals.gate import GateRefusal

from . import conf
from .choices import OPEN_CONFLICT_STATUSES, ConflictKind, PartyRole, RegistrationStatus, Resolution
from .models import ChannelPolicy, Conflict, ConflictComment, ConflictParty, DealRegistration

# The rule codes of the gate, in the order they are reported (docs/rules.md, "Registration gate").
DUPLICATE_REASON = gettext_lazy(
    "Created although a client with a very similar name or the same identity is already served in the network: the "
    "channel manager checks whether it is the same company.")
RULES = ("client_direct", "client_other", "possible_duplicate", "exclusive_other", "sole_other", "no_coverage",
         "key_account", "value")


def _names(lines) -> str:
    return ", ".join(sorted(str(line.name) for line in lines))


def _coverage_rules(*, distributor_id, territory_id, product_lines, on_date) -> list[tuple[str, str]]:
    """Per product line: another distributor's exclusive right, another's sole channel, or no coverage at all."""
    from keychannel.network.models import Coverage
    from keychannel.network.selectors import territory_lineage_ids

    if not product_lines:
        return []
    if territory_id is None:
        return [("no_coverage", _("The client's territory is not known, so your coverage cannot be confirmed."))]
    rows = (
        Coverage.objects.active_on(on_date)
        .filter(territory_id__in=territory_lineage_ids(territory_id), product_line_id__in=[p.pk for p in product_lines],
                distributor__active=True)
        .values_list("distributor_id", "product_line_id", "exclusive")
    )
    exclusive: dict[int, set[int]] = {}
    shared: dict[int, set[int]] = {}
    for holder, line_id, is_exclusive in rows:
        (exclusive if is_exclusive else shared).setdefault(line_id, set()).add(holder)
    found: dict[str, list] = {}
    for line in product_lines:
        if exclusive.get(line.pk):
            if distributor_id not in exclusive[line.pk]:
                found.setdefault("exclusive_other", []).append(line)
        elif distributor_id in shared.get(line.pk, set()):
            continue
        elif len(shared.get(line.pk, set())) == 1:
            found.setdefault("sole_other", []).append(line)
        else:
            found.setdefault("no_coverage", []).append(line)
    messages = {
        "exclusive_other": _("another distributor holds exclusive rights for %(lines)s in the client's territory."),
        "sole_other": _("another distributor is the sole channel for %(lines)s in the client's territory."),
        "no_coverage": _("your coverage does not include the client's territory for %(lines)s."),
    }
    return [(code, messages[code] % {"lines": _names(lines)}) for code, lines in found.items()]


def _in_grace(client, distributor_id, on_date) -> bool:
    """The distributor's deals in flight on a client taken out of scope run on until the decision's grace end."""
    return Conflict.objects.filter(
        client_id=client.pk, resolution=Resolution.OUT_OF_SCOPE, grace_until__gte=on_date,
        parties__distributor_id=distributor_id,
    ).exists()


def gate_reasons(*, opportunity, product_lines, on_date) -> list[tuple[str, str]]:
    """Which rules make this distributor deal need a registration (before looking for one)."""
    client = opportunity.client
    distributor_id = opportunity.distributor_id
    reasons: list[tuple[str, str]] = []
    if client.out_of_scope or client.distributor_id is None:
        # The decision marked this deal as kept for its grace period (channel/out_of_scope.py).
        kept = getattr(opportunity, "kept_until", None) is not None and opportunity.kept_until >= on_date
        if not kept and not _in_grace(client, distributor_id, on_date):
            reasons.append(("client_direct", _("the client is served directly by the manufacturer or was taken out "
                                               "of the distributors' scope.")))
    elif client.distributor_id != distributor_id:
        reasons.append(("client_other", _("the client is served by another distributor.")))
    elif Conflict.objects.filter(client_id=client.pk, kind=ConflictKind.POSSIBLE_DUPLICATE,
                                 status__in=OPEN_CONFLICT_STATUSES).exists():
        reasons.append(("possible_duplicate", _("the client may be one already served in the network (a possible "
                                                "duplicate the channel manager is reviewing).")))
    reasons += _coverage_rules(distributor_id=distributor_id, territory_id=client.territory_id,
                               product_lines=product_lines, on_date=on_date)
    policy = ChannelPolicy.current()
    if policy.key_accounts_need_registration and client.is_key_account:
        reasons.append(("key_account", _("the client is a key account.")))
    threshold = policy.registration_value_threshold
    if threshold is not None and Decimal(opportunity.value or 0) >= threshold:
        reasons.append(("value", _("the deal's value is %(threshold)s RON or more.") % {"threshold": f"{threshold:,.0f}"}))
    return reasons


def protecting_registration(*, client_id, distributor_id, product_lines, on_date):
    """An approved registration of this distributor for this client, protected on ``on_date``, that covers every
    product line of the deal (a registration for compressors does not open a pumps deal). ``on_date`` in the
    past (the demo's won deals) also accepts one that has expired since."""
    wanted = {p.pk for p in product_lines}
    candidates = (
        DealRegistration.objects.filter(
            client_id=client_id, distributor_id=distributor_id, protected_until__gte=on_date, submitted_on__lte=on_date,
            status__in=[RegistrationStatus.APPROVED, RegistrationStatus.EXPIRED],
        ).prefetch_related("product_lines").order_by("-protected_until", "-pk")
    )
    for registration in candidates:
        if wanted <= {p.pk for p in registration.product_lines.all()}:
            return registration
    return None


def registration_url(opportunity, product_lines) -> str:
    """The registration form, filled in with this deal ("register this deal")."""
    params = [("client", opportunity.client_id), ("title", opportunity.title or ""),
              ("estimated_value", opportunity.value or 0)]
    if opportunity.expected_close_on:
        params.append(("expected_close_on", opportunity.expected_close_on.isoformat()))
    params += [("product_lines", p.pk) for p in product_lines]
    if opportunity.pk:
        params.append(("opportunity", opportunity.pk))
    return reverse("channel:registration_create") + "?" + urlencode(params)


def deal_gate(*, opportunity, stage, product_lines, on_date) -> list[GateRefusal]:
    """The check registered into ``keychannel.deals.gate``: one refusal per rule, each with the way out."""
    reasons = gate_reasons(opportunity=opportunity, product_lines=product_lines, on_date=on_date)
    if not reasons:
        return []
    if protecting_registration(client_id=opportunity.client_id, distributor_id=opportunity.distributor_id,
                               product_lines=product_lines, on_date=on_date) is not None:
        return []
    url = registration_url(opportunity, product_lines)
    return [GateRefusal(code=code, message=message, registration_url=url) for code, message in reasons]


def deals_violating_gate(*, on_date=None) -> list:
    """Distributor deals past the first stage the gate would refuse (no registration, no override): what the demo
    test asserts is empty. A won deal counts as registered when a registration protected it on its win date."""
    from keychannel.deals.choices import Stage
    from keychannel.deals.models import Opportunity

    on_date = on_date or timezone.localdate()
    found = []
    deals = (
        Opportunity.objects.filter(distributor__isnull=False, gate_override_at__isnull=True)
        .exclude(stage__in=[Stage.DISCUSSION, Stage.LOST])
        .select_related("client").prefetch_related("product_lines").order_by("pk")
    )
    for deal in deals:
        lines = list(deal.product_lines.all())
        reasons = gate_reasons(opportunity=deal, product_lines=lines, on_date=on_date)
        when = deal.closed_on if deal.stage == Stage.WON and deal.closed_on else on_date
        if reasons and protecting_registration(client_id=deal.client_id, distributor_id=deal.distributor_id,
                                               product_lines=lines, on_date=when) is None:
            found.append((deal, [code for code, _m in reasons]))
    return found


# --- watched duplicates ----------------------------------------------------------------------------------------


def _deciders(distributors):
    """Who hears of a possible duplicate: the channel managers of the distributors involved, else the program office."""
    from keychannel.core.models import Membership

    users = {d.channel_manager for d in distributors if d is not None and d.channel_manager_id}
    if not users:
        users = {m.user for m in Membership.objects.filter(role="program_manager").select_related("user")}
    return sorted(users, key=lambda u: u.pk)


def watch_confirmed_duplicate(sender, *, principal, client, check, **kwargs) -> Conflict | None:
    """A client created although it looked like one served elsewhere: open a possible-duplicate case.

    The creating distributor is the claimant and sees its own side (the reason never names the match); the
    distributors serving the matches are holders; the matches themselves are named in an internal comment.
    """
    from keychannel.clients.models import CorporateClient
    from keychannel.core.services import notification_send

    if not check.served_elsewhere:
        return None
    today = timezone.localdate()
    matches = list(
        CorporateClient._base_manager.filter(pk__in=list(check.served_elsewhere_ids)).exclude(pk=client.pk)
        .select_related("distributor__channel_manager")
    )
    conflict = Conflict.objects.create(
        kind=ConflictKind.POSSIBLE_DUPLICATE, client=client, client_name=client.legal_name,
        territory_id=client.territory_id, opened_by=principal.user,
        reason=str(DUPLICATE_REASON),
        due_on=today + datetime.timedelta(days=conf.conflict_due_days(ConflictKind.POSSIBLE_DUPLICATE)),
    )
    involved = [client.distributor] if client.distributor_id else []
    if client.distributor_id:
        ConflictParty.objects.create(conflict=conflict, distributor=client.distributor, role=PartyRole.CLAIMANT)
    for match in matches:
        if match.distributor_id and match.distributor_id not in {d.pk for d in involved}:
            involved.append(match.distributor)
            ConflictParty.objects.create(conflict=conflict, distributor=match.distributor, role=PartyRole.HOLDER)
    deciders = _deciders(involved)
    if deciders and matches:
        listed = "; ".join(
            f"{m.legal_name} ({m.distributor.code if m.distributor_id else _('direct')}, #{m.pk})" for m in matches)
        ConflictComment.objects.create(conflict=conflict, author=deciders[0], internal=True,
                                       body=_("Automatic: the matches found at creation: %(list)s") % {"list": listed})
    for user in deciders:
        notification_send(
            recipient=user, event="conflict.opened", sender=principal.user,
            title=lambda: _("Possible duplicate client: %(client)s") % {"client": client.legal_name},
            body=DUPLICATE_REASON, url=conflict.get_absolute_url(),
        )
    return conflict


# --- the policy's settings -------------------------------------------------------------------------------------

POLICY_FIELDS = {"key_accounts_need_registration", "registration_value_threshold", "out_of_scope_grace_days",
                 "product_test_needs_manufacturer_signoff"}


@transaction.atomic
def channel_policy_update(*, principal, **fields) -> ChannelPolicy:
    """Change the gate's settings (program office). Applies to the next write of every deal, not retroactively."""
    require(principal, "channel.policy.change")
    unknown = set(fields) - POLICY_FIELDS
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    threshold = fields.get("registration_value_threshold")
    if threshold is not None and Decimal(threshold) < 0:
        raise ValidationError({"registration_value_threshold": _("The value cannot be negative.")})
    policy = ChannelPolicy.objects.select_for_update().filter(pk=ChannelPolicy.SINGLETON_PK).first() or ChannelPolicy.current()
    for name, value in fields.items():
        setattr(policy, name, value)
    policy.updated_by = principal.user
    policy.full_clean()
    policy.save()
    return policy
