"""Writes of the clients app. Every write checks its policy first and runs in one transaction."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keychannel.core.assignment import records_refusals, require_assignable
from keychannel.core.deletion import delete_unreferenced
from keychannel.core.errors import ConflictError
from keychannel.core.policies import can, require

from .choices import BuyingRole
from .models import (
    AccountAction,
    AccountCompetitor,
    AccountObjective,
    AccountPlan,
    ClientMerge,
    CorporateClient,
    Stakeholder,
    StakeholderContact,
    StakeholderLink,
)
from .selectors import DuplicateCheck, buying_centre_analysis, client_find_duplicates, our_people_for
from .signals import duplicate_confirmed


class DuplicateClientError(ConflictError):
    """The client being created looks like one that exists; ``check`` holds what the caller may see."""

    def __init__(self, check: DuplicateCheck):
        super().__init__(_("This client looks like one that already exists."))
        self.check = check


CLIENT_FIELDS = {
    "legal_name", "tax_id", "code", "distributor", "industry", "employees", "revenue_band", "territory", "city",
    "potential_annual_volume", "status", "is_key_account", "why_chose_us", "external_id",
}


def _target_distributor(principal, distributor):
    """Distributor users always create in their own book, whatever they send."""
    if principal.is_distributor_user:
        from keychannel.network.models import Distributor

        return Distributor.objects.get(pk=principal.own_distributor_id)
    return distributor


def _check_tax_id_free(client: CorporateClient) -> None:
    if client.tax_id and CorporateClient.objects.filter(tax_id=client.tax_id).exclude(pk=client.pk).exists():
        raise ValidationError({"tax_id": _("This tax id is already registered in the network.")})
    if client.code and CorporateClient.objects.filter(code=client.code).exclude(pk=client.pk).exists():
        raise ValidationError({"code": _("This client code is already used.")})


@transaction.atomic
def client_create(*, principal, legal_name: str, confirm_not_duplicate: bool = False, watch_duplicates: bool = True,
                  **fields) -> CorporateClient:
    """Create a client after the duplicate check. A likely duplicate raises DuplicateClientError unless the
    caller confirms it is not one; an identical tax id is always refused. Every path that creates a client comes
    here (the pages, the API, the sales imports, the channel's registrations): one check, one matcher.

    ``watch_duplicates=False``: a confirmed look-alike sends no ``duplicate_confirmed`` signal, for a caller whose
    own rule checks already open the case (a registration's checks record the similar clients as conflicts)."""
    unknown = set(fields) - CLIENT_FIELDS
    if unknown:
        raise TypeError(f"unknown client fields: {sorted(unknown)}")
    distributor = _target_distributor(principal, fields.pop("distributor", None))
    require(principal, "clients.corporateclient.create", distributor)
    client = CorporateClient(legal_name=legal_name, distributor=distributor, created_by=principal.user, **fields)
    client.full_clean(validate_unique=False, validate_constraints=False)
    _lock_book(distributor)
    check = client_find_duplicates(principal=principal, legal_name=client.legal_name, tax_id=client.tax_id)
    # The same tax id is the same company: no confirmation overrides that.
    if check.found and (check.exact or not confirm_not_duplicate):
        raise DuplicateClientError(check)
    _check_tax_id_free(client)
    client.full_clean()
    try:
        with transaction.atomic():
            client.save()
    except IntegrityError:
        # Another book registered the same tax id or code between the check and the insert (the lock is per
        # distributor): the unique constraints answer, as the same refusal the check gives.
        _check_tax_id_free(client)
        raise ConflictError(_("This client was registered at the same moment; try again.")) from None
    if check.found and watch_duplicates:
        # Confirmed past a match: still watched (the channel app opens a case when the match is served elsewhere).
        duplicate_confirmed.send(sender=CorporateClient, principal=principal, client=client, check=check)
    client_refresh_analysis(client=client)
    return client


def _lock_book(distributor) -> None:
    """Creates in one distributor's book queue here until the earlier one commits, so its duplicate check sees
    the client the earlier one made (a name look-alike has no constraint to stop it). SQLite: the IMMEDIATE
    transaction already holds the database's write lock."""
    if distributor is not None:
        from keychannel.network.models import Distributor

        list(Distributor.objects.select_for_update().filter(pk=distributor.pk).values_list("pk", flat=True))


@transaction.atomic
def client_update(*, principal, client: CorporateClient, **fields) -> CorporateClient:
    require(principal, "clients.corporateclient.change", client)
    unknown = set(fields) - CLIENT_FIELDS
    if unknown:
        raise TypeError(f"unknown client fields: {sorted(unknown)}")
    if "distributor" in fields:
        new = fields.pop("distributor")
        if getattr(new, "pk", None) != client.distributor_id:
            require(principal, "clients.corporateclient.move", client)
            client.distributor = new
    for name, value in fields.items():
        setattr(client, name, value)
    client.refresh_derived_fields()
    _check_tax_id_free(client)
    client.full_clean()
    client.save()
    client_refresh_analysis(client=client)
    return client


def client_delete(*, principal, client: CorporateClient) -> None:
    """Delete a client nobody else's records point at (its stakeholders and account plan go with it).

    Anything else - a deal, a contract, a KAM task, a mentorship, a survey answer - refuses the delete with
    a ConflictError (409) that says what and offers the archive; a distributor's attempt is recorded as a
    security event. Not one transaction here: ``delete_unreferenced`` keeps the event past the rollback.
    """
    require(principal, "clients.corporateclient.delete", client)
    delete_unreferenced(
        client, principal=principal, action="clients.corporateclient.delete",
        hint=_("Archive it instead: it leaves the lists and stays for the records that point at it."),
    )


@transaction.atomic
def client_archive(*, principal, client: CorporateClient) -> CorporateClient:
    """Take a client out of the default lists; everything that points at it stays (docs/access.md)."""
    require(principal, "clients.corporateclient.archive", client)
    client = CorporateClient.objects.select_for_update().get(pk=client.pk)
    if client.archived_at is None:
        client.archived_at = timezone.now()
        client._change_reason = "archived"
        client.save()
    return client


@transaction.atomic
def client_restore(*, principal, client: CorporateClient) -> CorporateClient:
    require(principal, "clients.corporateclient.archive", client)
    client = CorporateClient.objects.select_for_update().get(pk=client.pk)
    if client.archived_at is not None:
        client.archived_at = None
        client._change_reason = "restored from the archive"
        client.save()
    return client


@transaction.atomic
def client_make_direct(*, principal, client: CorporateClient, reason: str = "") -> CorporateClient:
    """Take a client out of its distributor's scope: it becomes a direct, manufacturer-led client."""
    require(principal, "clients.corporateclient.make_direct", client)
    client = CorporateClient.objects.select_for_update().get(pk=client.pk)
    client.distributor = None
    client.out_of_scope = True
    client.out_of_scope_since = timezone.now()
    client._change_reason = (reason or "taken out of scope")[:100]
    client.save()
    return client


def _repoint(rel, duplicate, survivor) -> int:
    """Move every row of one reverse relation from ``duplicate`` to ``survivor``."""
    model = rel.related_model
    if rel.many_to_many:
        through = rel.through
        field = rel.field
        to_name = field.m2m_reverse_field_name()
        from_name = field.m2m_field_name()
        already = through._default_manager.filter(**{to_name: survivor}).values_list(f"{from_name}_id", flat=True)
        through._default_manager.filter(**{to_name: duplicate, f"{from_name}_id__in": list(already)}).delete()
        return through._default_manager.filter(**{to_name: duplicate}).update(**{to_name: survivor})
    name = rel.field.name
    rows = model._default_manager.filter(**{name: duplicate})
    if rel.one_to_one:
        if not rows.exists():
            return 0
        if model._default_manager.filter(**{name: survivor}).exists():
            raise ConflictError(
                _("Both clients have a %(what)s; resolve that first.") % {"what": model._meta.verbose_name}
            )
    try:
        with transaction.atomic():
            return rows.update(**{name: survivor})
    except IntegrityError as exc:
        raise ConflictError(
            _("Both clients have %(what)s that cannot be combined automatically.")
            % {"what": model._meta.verbose_name_plural}
        ) from exc


def _merge_account_plans(survivor, duplicate) -> int:
    """Both have a plan: move the duplicate's objectives, actions and competitors into the survivor's."""
    keep = AccountPlan.objects.filter(client=survivor).first()
    drop = AccountPlan.objects.filter(client=duplicate).first()
    if keep is None or drop is None:
        return 0
    moved = AccountObjective.objects.filter(plan=drop).update(plan=keep)
    moved += AccountAction.objects.filter(plan=drop).update(plan=keep)
    existing = set(AccountCompetitor.objects.filter(plan=keep).values_list("name", flat=True))
    AccountCompetitor.objects.filter(plan=drop, name__in=existing).delete()
    moved += AccountCompetitor.objects.filter(plan=drop).update(plan=keep)
    drop.delete()
    return moved


@transaction.atomic
def client_merge(*, principal, survivor: CorporateClient, duplicate: CorporateClient) -> ClientMerge:
    """Merge ``duplicate`` into ``survivor``: every record pointing at the duplicate (stakeholders, plans,
    and whatever later apps add — found through ``_meta.related_objects``) is re-pointed, blank fields of
    the survivor are filled from the duplicate, and the duplicate is deleted. Both histories stay; a
    ClientMerge row records what happened."""
    require(principal, "clients.corporateclient.merge", survivor)
    if survivor.pk == duplicate.pk:
        raise ValidationError({"duplicate": _("Choose two different clients.")})
    survivor = CorporateClient.objects.select_for_update().get(pk=survivor.pk)
    duplicate = CorporateClient.objects.select_for_update().get(pk=duplicate.pk)
    repointed: dict[str, int] = {}
    plans = _merge_account_plans(survivor, duplicate)
    if plans:
        repointed["clients.accountplan items"] = plans
    for rel in CorporateClient._meta.related_objects:
        if rel.related_model is ClientMerge:
            continue
        count = _repoint(rel, duplicate, survivor)
        if count:
            repointed[f"{rel.related_model._meta.label_lower}.{rel.field.name}"] = count
    ClientMerge.objects.filter(survivor=duplicate).update(survivor=survivor)
    record = ClientMerge.objects.create(
        survivor=survivor,
        merged_client_id=duplicate.pk,
        merged_legal_name=duplicate.legal_name,
        merged_tax_id=duplicate.tax_id,
        merged_distributor_id=duplicate.distributor_id,
        repointed=repointed,
        merged_by=principal.user,
    )
    fill = {}
    for name in ("tax_id", "code", "industry", "revenue_band", "city", "why_chose_us"):
        if not getattr(survivor, name) and getattr(duplicate, name):
            fill[name] = getattr(duplicate, name)
    for name in ("employees", "territory_id"):
        if getattr(survivor, name) is None and getattr(duplicate, name) is not None:
            fill[name] = getattr(duplicate, name)
    if duplicate.potential_annual_volume > survivor.potential_annual_volume:
        fill["potential_annual_volume"] = duplicate.potential_annual_volume
    if duplicate.is_key_account and not survivor.is_key_account:
        fill["is_key_account"] = True
    duplicate._change_reason = f"merged into client {survivor.pk}"
    duplicate.delete()
    for name, value in fill.items():
        setattr(survivor, name, value)
    survivor._change_reason = f"merged client {duplicate.legal_name}"[:100]
    survivor.save()
    client_refresh_analysis(client=survivor)
    return record


# ------------------------------------------------------------------------------------ buying centre


def client_refresh_analysis(*, client: CorporateClient, today: datetime.date | None = None) -> CorporateClient:
    """Store the buying-centre analysis on the client (lists and the at-risk page read it).

    Clients with nobody mapped are analysed only when they are key accounts (an unmapped key account is
    itself a risk); others stay "not analysed". Not audited: it is derived data.
    """
    stakeholders = list(Stakeholder.objects.filter(client_id=client.pk).prefetch_related("contacts"))
    if not stakeholders and not client.is_key_account:
        values = {"coverage_score": None, "risk_flags": [], "risk_flag_count": 0}
    else:
        analysis = buying_centre_analysis(client=client, stakeholders=stakeholders, today=today)
        values = {
            "coverage_score": analysis.score,
            "risk_flags": [f.as_dict() for f in analysis.flags],
            "risk_flag_count": len(analysis.flags),
        }
    values["analysed_at"] = timezone.now()
    # A plain UPDATE through the base manager: derived data, not a change anybody made.
    CorporateClient._base_manager.filter(pk=client.pk).update(**values)
    for name, value in values.items():
        setattr(client, name, value)
    return client


def clients_refresh_analysis(*, client_ids=None, today=None) -> int:
    """Recompute the stored analysis (daily, for the "no contact for N days" flag). Returns the count."""
    qs = CorporateClient._base_manager.all()
    if client_ids is not None:
        qs = qs.filter(pk__in=list(client_ids))
    qs = qs.filter(models.Q(is_key_account=True) | models.Q(stakeholders__isnull=False)).distinct()
    done = 0
    for client in qs.iterator(chunk_size=500):
        client_refresh_analysis(client=client, today=today)
        done += 1
    return done


STAKEHOLDER_FIELDS = {
    "full_name", "job_title", "level", "reports_to", "buying_roles", "influence", "attitude", "personal_interests",
    "company_interests", "is_external", "external_organization", "email", "phone", "last_contact_on",
}


def _clean_roles(roles):
    roles = list(roles or [])
    bad = [r for r in roles if r not in BuyingRole.values]
    if bad:
        raise ValidationError({"buying_roles": _("Unknown buying role: %(roles)s.") % {"roles": ", ".join(map(str, bad))}})
    return roles


@transaction.atomic
def stakeholder_create(*, principal, client: CorporateClient, full_name: str, **fields) -> Stakeholder:
    require(principal, "clients.stakeholder.change", client)
    unknown = set(fields) - STAKEHOLDER_FIELDS
    if unknown:
        raise TypeError(f"unknown stakeholder fields: {sorted(unknown)}")
    if "buying_roles" in fields:
        fields["buying_roles"] = _clean_roles(fields["buying_roles"])
    stakeholder = Stakeholder(client=client, full_name=full_name, **fields)
    stakeholder.full_clean()
    stakeholder.save()
    client_refresh_analysis(client=client)
    return stakeholder


@transaction.atomic
def stakeholder_update(
    *, principal, stakeholder: Stakeholder, expected_version: int | None = None, **fields
) -> Stakeholder:
    """Change the given fields of one person, on the row as it is now (locked), and add one to its version.

    ``expected_version`` is the version the editor saw: when it is given and the person changed since (another
    edit bumped the version), nothing is written and a ``ConflictError`` says so. ``None`` skips the check
    (the edits are still serialised by the row lock, and only the given fields are written).
    """
    require(principal, "clients.stakeholder.change", stakeholder.client)
    unknown = set(fields) - STAKEHOLDER_FIELDS
    if unknown:
        raise TypeError(f"unknown stakeholder fields: {sorted(unknown)}")
    if "buying_roles" in fields:
        fields["buying_roles"] = _clean_roles(fields["buying_roles"])
    current = Stakeholder.objects.select_for_update().get(pk=stakeholder.pk)
    if expected_version is not None and current.version != expected_version:
        raise ConflictError(_("Someone else changed this person meanwhile; reload and try again."))
    for name, value in fields.items():
        setattr(current, name, value)
    current.version += 1  # under the row lock: no other edit reads the old value meanwhile
    current.full_clean()
    current.save()
    # The caller's object shows what was stored.
    for field in Stakeholder._meta.concrete_fields:
        setattr(stakeholder, field.attname, getattr(current, field.attname))
    client_refresh_analysis(client=stakeholder.client)
    return stakeholder


def stakeholder_delete(*, principal, stakeholder: Stakeholder) -> None:
    """Delete a person unless other records name them (an activity, a product test's sign-off): 409."""
    client = stakeholder.client
    require(principal, "clients.stakeholder.change", client)

    def rehang(stakeholder):
        # The people reporting to them keep their place in the tree under their manager's manager.
        for report in Stakeholder.objects.filter(reports_to=stakeholder):
            report.reports_to_id = stakeholder.reports_to_id
            report.save(update_fields=["reports_to", "updated_at"])

    delete_unreferenced(stakeholder, principal=principal, action="clients.stakeholder.delete", before_delete=rehang,
                        after_delete=lambda _obj: client_refresh_analysis(client=client))


@records_refusals
@transaction.atomic
def stakeholder_contact_set(
    *, principal, stakeholder: Stakeholder, user, current_level: str, desired_level: str
) -> StakeholderContact:
    """Record (or update) that ``user`` on our side knows ``stakeholder``, now and as wanted."""
    client = stakeholder.client
    require(principal, "clients.stakeholder.change", client)
    if not our_people_for(client).filter(pk=user.pk).exists():
        raise ValidationError({"user": _("Choose one of our people who may work this client.")})
    contact = StakeholderContact.objects.filter(stakeholder=stakeholder, user=user).first()
    # A contact's wanted level is a goal for that person: only a new one is an assignment (updating the
    # levels of a contact the manufacturer recorded is keeping it).
    require_assignable(principal, user, field="user", obj=StakeholderContact,
                       current=contact.user_id if contact is not None else None)
    contact = contact or StakeholderContact(stakeholder=stakeholder, user=user)
    contact.current_level = current_level
    contact.desired_level = desired_level
    contact.full_clean(validate_unique=False, validate_constraints=False)
    contact.save()
    client_refresh_analysis(client=client)
    return contact


def stakeholder_contact_delete(*, principal, contact: StakeholderContact) -> None:
    client = contact.stakeholder.client
    require(principal, "clients.stakeholder.change", client)
    delete_unreferenced(contact, principal=principal, action="clients.stakeholder.change",
                        after_delete=lambda _obj: client_refresh_analysis(client=client))


@transaction.atomic
def stakeholder_link_create(*, principal, source: Stakeholder, target: Stakeholder, kind: str, note: str = "") -> StakeholderLink:
    require(principal, "clients.stakeholder.change", source.client)
    link = StakeholderLink(source=source, target=target, kind=kind, note=note)
    link.full_clean(validate_unique=False, validate_constraints=False)
    if StakeholderLink.objects.filter(source=source, target=target, kind=kind).exists():
        raise ValidationError({"target": _("This link is already recorded.")})
    link.save()
    return link


def stakeholder_link_delete(*, principal, link: StakeholderLink) -> None:
    require(principal, "clients.stakeholder.change", link.source.client)
    delete_unreferenced(link, principal=principal, action="clients.stakeholder.change")


@transaction.atomic
def stakeholders_record_contact(*, stakeholder_ids, on_date: datetime.date) -> int:
    """Move ``last_contact_on`` of these stakeholders to ``on_date`` unless they were met later already.

    Called by the deals app when an activity with client participants is logged (its service has already
    checked the permission). Each change is saved one by one so the history shows it. Returns how many
    stakeholders changed.
    """
    changed = 0
    clients = set()
    ids = list(stakeholder_ids or [])
    for stakeholder in Stakeholder.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
        if stakeholder.last_contact_on is None or stakeholder.last_contact_on < on_date:
            stakeholder.last_contact_on = on_date
            stakeholder.version += 1  # a form opened before this contact must not write the older date back
            stakeholder.save(update_fields=["last_contact_on", "version", "updated_at"])
            clients.add(stakeholder.client_id)
            changed += 1
    for client in CorporateClient._base_manager.filter(pk__in=clients):
        client_refresh_analysis(client=client)
    return changed


# ------------------------------------------------------------------------------------- account plan

PLAN_FIELDS = {"ambition", "situation", "owner", "review_on"}


def _plan_for(principal, client) -> AccountPlan:
    require(principal, "clients.accountplan.change", client)
    if not client.is_key_account:
        raise ValidationError({"client": _("Account plans are for key accounts.")})
    plan, _created = AccountPlan.objects.get_or_create(client=client)
    return plan


@records_refusals
@transaction.atomic
def account_plan_update(*, principal, client: CorporateClient, **fields) -> AccountPlan:
    plan = _plan_for(principal, client)
    if "owner" in fields:
        require_assignable(principal, fields["owner"], field="owner", obj=plan)
    for name, value in fields.items():
        if name not in PLAN_FIELDS:
            raise TypeError(name)
        setattr(plan, name, value)
    plan.full_clean()
    plan.save()
    return plan


@records_refusals
@transaction.atomic
def account_objective_create(*, principal, client, title: str, **fields) -> AccountObjective:
    plan = _plan_for(principal, client)
    require_assignable(principal, fields.get("owner"), field="owner", obj=AccountObjective)
    objective = AccountObjective(plan=plan, title=title, **fields)
    objective.full_clean()
    objective.save()
    return objective


@records_refusals
@transaction.atomic
def account_action_create(*, principal, client, title: str, **fields) -> AccountAction:
    plan = _plan_for(principal, client)
    require_assignable(principal, fields.get("owner"), field="owner", obj=AccountAction)
    objective = fields.get("objective")
    if objective is not None and objective.plan_id != plan.pk:
        raise ValidationError({"objective": _("Choose an objective of this plan.")})
    action = AccountAction(plan=plan, title=title, **fields)
    action.full_clean()
    action.save()
    return action


@transaction.atomic
def account_competitor_create(*, principal, client, name: str, **fields) -> AccountCompetitor:
    plan = _plan_for(principal, client)
    if AccountCompetitor.objects.filter(plan=plan, name__iexact=name.strip()).exists():
        raise ValidationError({"name": _("This competitor is already listed.")})
    competitor = AccountCompetitor(plan=plan, name=name.strip(), **fields)
    competitor.full_clean(validate_constraints=False)
    competitor.save()
    return competitor


ITEM_FIELDS = {
    AccountObjective: {"title", "measure", "owner", "due_on", "status", "result"},
    AccountAction: {"title", "objective", "owner", "due_on", "status", "result"},
    AccountCompetitor: {"name", "position", "products", "note"},
}


@records_refusals
@transaction.atomic
def account_item_update(*, principal, item, **fields):
    """Edit an objective, action or competitor in place: status, owner, due date, result, wording (issue 16).

    A new owner goes through the assignment rule (keeping the current one is not an assignment)."""
    require(principal, "clients.accountplan.change", item.plan.client)
    model = type(item)
    item = model.objects.select_for_update().select_related("plan").get(pk=item.pk)
    allowed = ITEM_FIELDS[model]
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    if "owner" in fields:
        require_assignable(principal, fields["owner"], field="owner", obj=item)
    objective = fields.get("objective")
    if objective is not None and objective.plan_id != item.plan_id:
        raise ValidationError({"objective": _("Choose an objective of this plan.")})
    if model is AccountCompetitor and "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
        if AccountCompetitor.objects.filter(plan=item.plan, name__iexact=fields["name"]).exclude(pk=item.pk).exists():
            raise ValidationError({"name": _("This competitor is already listed.")})
    for name, value in fields.items():
        setattr(item, name, value)
    item.full_clean(validate_constraints=model is not AccountCompetitor)
    item.save()
    return item


def account_item_delete(*, principal, item) -> None:
    require(principal, "clients.accountplan.change", item.plan.client)
    delete_unreferenced(item, principal=principal, action="clients.accountplan.change")


@transaction.atomic
def account_item_set_status(*, principal, item, status: str):
    require(principal, "clients.accountplan.change", item.plan.client)
    item.status = status
    item.full_clean()
    item.save()
    return item


def may_edit_stakeholders(principal, client) -> bool:
    return can(principal, "clients.stakeholder.change", client)



