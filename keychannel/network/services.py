"""Writes of the network app. Every write checks its policy and runs in one transaction."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from keychannel.core.assignment import records_refusals, require_assignable
from keychannel.core.choices import OrganizationKind
from keychannel.core.models import Organization
from keychannel.core.policies import can, require

from .choices import SizeTier
from .models import (
    ActionItem,
    ComplianceReview,
    Coverage,
    Distributor,
    DistributorPerson,
    Interaction,
    Playbook,
    ReadinessAnswer,
    ReadinessAssessment,
    ReadinessQuestionnaire,
    Relationship,
)

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
    if not can(principal, "network.distributor.change_terms", distributor):
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


# --- people and relationships -----------------------------------------------------------------------------------

PERSON_FIELDS = {"full_name", "level", "title", "email", "phone", "notes", "active"}
RELATIONSHIP_FIELDS = {"manufacturer_level", "strength", "last_interaction", "note", "active"}


def _apply(obj, fields: dict, allowed: set):
    for name, value in fields.items():
        if name in allowed:
            setattr(obj, name, value)


@transaction.atomic
def person_create(*, principal, distributor: Distributor, **fields) -> DistributorPerson:
    require(principal, "network.person.change", distributor)
    person = DistributorPerson(distributor=distributor)
    _apply(person, fields, PERSON_FIELDS)
    person.full_clean()
    person.save()
    return person


@transaction.atomic
def person_update(*, principal, person: DistributorPerson, **fields) -> DistributorPerson:
    require(principal, "network.person.change", person.distributor)
    _apply(person, fields, PERSON_FIELDS)
    person.full_clean()
    person.save()
    return person


def _check_manufacturer_user(user):
    from keychannel.core.choices import MANUFACTURER_ROLES
    from keychannel.core.models import Membership

    if user is None or not Membership.objects.filter(user=user, role__in=list(MANUFACTURER_ROLES)).exists():
        raise ValidationError({"manufacturer_user": _("Choose one of the manufacturer's people.")})


@transaction.atomic
def relationship_create(*, principal, person: DistributorPerson, manufacturer_user, **fields) -> Relationship:
    require(principal, "network.relationship.change", person.distributor)
    _check_manufacturer_user(manufacturer_user)
    relationship = Relationship(person=person, manufacturer_user=manufacturer_user)
    _apply(relationship, fields, RELATIONSHIP_FIELDS)
    relationship.full_clean()
    relationship.save()
    return relationship


@transaction.atomic
def relationship_update(*, principal, relationship: Relationship, **fields) -> Relationship:
    require(principal, "network.relationship.change", relationship.person.distributor)
    if "manufacturer_user" in fields:
        _check_manufacturer_user(fields["manufacturer_user"])
        relationship.manufacturer_user = fields["manufacturer_user"]
    _apply(relationship, fields, RELATIONSHIP_FIELDS)
    relationship.full_clean()
    relationship.save()
    return relationship


@transaction.atomic
def interaction_record(*, principal, relationship: Relationship, occurred_on, kind, summary) -> Interaction:
    """Log a contact; the relationship's last interaction moves forward (never back)."""
    require(principal, "network.relationship.change", relationship.person.distributor)
    interaction = Interaction(
        relationship=relationship, occurred_on=occurred_on, kind=kind, summary=summary, recorded_by=principal.user
    )
    interaction.full_clean()
    interaction.save()
    if relationship.last_interaction is None or occurred_on > relationship.last_interaction:
        relationship.last_interaction = occurred_on
        relationship.save(update_fields=["last_interaction", "updated_at"])
    return interaction


# --- readiness --------------------------------------------------------------------------------------------------


def readiness_score(values) -> int:
    """Answers 0–4 → 0–100: the share of the maximum, rounded half up."""
    values = list(values)
    if not values:
        return 0
    return int(Decimal(100 * sum(values)) / Decimal(4 * len(values)) + Decimal("0.5"))


@transaction.atomic
def readiness_assess(
    *, principal, distributor: Distributor, assessed_on, answers: dict, summary: str = "", questionnaire=None
) -> ReadinessAssessment:
    """Record an assessment: ``answers`` maps question code → 0…4 and must answer every question of the version."""
    require(principal, "network.readiness.change", distributor)
    questionnaire = questionnaire or ReadinessQuestionnaire.objects.filter(active=True).order_by("-version").first()
    if questionnaire is None:
        raise ValidationError({"questionnaire": _("No questionnaire is in use.")})
    questions = list(questionnaire.questions.all())
    errors = {}
    for question in questions:
        value = answers.get(question.code)
        if value is None:
            errors[question.code] = _("Answer this question.")
        elif not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 4:
            errors[question.code] = _("Answer from 0 to 4.")
    unknown = set(answers) - {q.code for q in questions}
    if unknown:
        errors["answers"] = _("Unknown questions: %(codes)s") % {"codes": ", ".join(sorted(unknown))}
    if ReadinessAssessment.objects.filter(distributor=distributor, assessed_on=assessed_on).exists():
        errors["assessed_on"] = _("This distributor already has an assessment on that date.")
    if errors:
        raise ValidationError(errors)
    assessment = ReadinessAssessment(
        distributor=distributor,
        questionnaire=questionnaire,
        assessed_on=assessed_on,
        assessed_by=principal.user,
        summary=summary,
        score=readiness_score(answers[q.code] for q in questions),
    )
    assessment.full_clean()
    assessment.save()
    ReadinessAnswer.objects.bulk_create(
        [ReadinessAnswer(assessment=assessment, question=q, value=answers[q.code]) for q in questions]
    )
    return assessment


ACTION_FIELDS = {"title", "owner", "due_on", "status"}


def _check_owner(owner, distributor):
    from keychannel.core.choices import MANUFACTURER_ROLES
    from keychannel.core.models import Membership

    if owner is None:
        return
    membership = Membership.objects.filter(user=owner).first()
    if membership is None or not (
        membership.role in MANUFACTURER_ROLES or membership.organization_id == distributor.organization_id
    ):
        raise ValidationError({"owner": _("The owner must work for the manufacturer or this distributor.")})


@records_refusals
@transaction.atomic
def action_item_create(*, principal, assessment: ReadinessAssessment, **fields) -> ActionItem:
    require(principal, "network.action_item.change", assessment.distributor)
    require_assignable(principal, fields.get("owner"), field="owner", obj=ActionItem)
    item = ActionItem(assessment=assessment)
    _apply(item, fields, ACTION_FIELDS)
    _check_owner(item.owner, assessment.distributor)
    item.full_clean()
    item.save()
    return item


@records_refusals
@transaction.atomic
def action_item_update(*, principal, item: ActionItem, **fields) -> ActionItem:
    require(principal, "network.action_item.change", item.assessment.distributor)
    if "owner" in fields:
        require_assignable(principal, fields["owner"], field="owner", obj=item)
    _apply(item, fields, ACTION_FIELDS)
    _check_owner(item.owner, item.assessment.distributor)
    item.full_clean()
    item.save()
    return item


# --- compliance reviews -----------------------------------------------------------------------------------------

REVIEW_FIELDS = {"reviewed_on", "period", "reviewer", "status", "findings", "agreed_actions", "follow_up_on",
                 "follow_up_notes"}


def _check_review(review: ComplianceReview):
    if review.distributor.size_tier != SizeTier.LARGE:
        raise ValidationError({"distributor": _("Compliance reviews are for large distributors.")})
    if review.follow_up_on and review.follow_up_on < review.reviewed_on:
        raise ValidationError({"follow_up_on": _("The follow-up comes after the review.")})
    review.full_clean()


@transaction.atomic
def review_create(*, principal, distributor: Distributor, **fields) -> ComplianceReview:
    require(principal, "network.review.change", distributor)
    review = ComplianceReview(distributor=distributor, reviewer=principal.user)
    _apply(review, fields, REVIEW_FIELDS)
    _check_review(review)
    review.save()
    return review


@transaction.atomic
def review_update(*, principal, review: ComplianceReview, **fields) -> ComplianceReview:
    require(principal, "network.review.change", review.distributor)
    _apply(review, fields, REVIEW_FIELDS)
    _check_review(review)
    review.save()
    return review
