"""The distributor page's reads (issue 22): each statement reads the columns the page shows and joins only the rows
it names. The shared list selectors (network/selectors.py) joined the distributor itself (known), its organisation,
the people's distributor and the assessments' assessor, read every column of each user, and ordered by the
distributor's code (a join) where the page shows one distributor: most of the page's Python was compiling those
statements."""

import functools

from django.db import connection
from django.db.models import Exists, JSONField, OuterRef
from django.db.models.expressions import RawSQL

from keychannel.core.choices import Role
from keychannel.core.models import Membership
from keychannel.core.scoping import USER_NAME_COLUMNS as NAMES
from keychannel.core.scoping import get_visible_or_404
from keychannel.core.scoping import own_and_related_columns as columns
from keychannel.core.tables import pk_url

from .models import (
    ActionItem,
    ComplianceReview,
    Coverage,
    Distributor,
    ProductLine,
    ReadinessAssessment,
    Relationship,
)
from .selectors import (
    action_item_list,
    coverage_list,
    distributor_list,
    interaction_list,
    person_list,
    playbook_for,
    readiness_list,
    relationship_health,
    relationship_list,
    relationship_map,
    review_list,
    sole_channel_cells,
)


def distributor_page_get(*, principal, pk, asks_head=False):
    """The distributor of its page (redacted as ``distributor_list``'s): its territory's and channel manager's
    names and, as ``product_line_names``, its product lines' names in their order; not its organisation (the page
    needs the id only). The names come in the distributor's own row: their prefetch was a statement of its own and
    half of this read's Python (issue 22). ``asks_head``: also whether its organisation has a head (``has_head``,
    for the administrator's "invite a person" link; a statement of its own before)."""
    qs = (distributor_list(principal=principal).select_related(None).select_related("territory", "channel_manager")
          .only(*columns(Distributor, territory=("id", "name"), channel_manager=NAMES)).prefetch_related(None)
          .annotate(product_line_names=RawSQL(_line_names_sql(), (), output_field=JSONField())))
    if asks_head:
        qs = qs.annotate(has_head=Exists(Membership.objects.filter(organization_id=OuterRef("organization_id"),
                                                                   role=Role.DIST_HEAD)))
    return get_visible_or_404(qs, principal, pk=pk)


@functools.cache
def _line_names_sql() -> str:
    """A distributor's product line names in the product lines' order (name, id), as a JSON array of its row:
    ``jsonb_agg`` on PostgreSQL, ``json_group_array`` over the ordered names on SQLite (no ordered aggregates)."""
    quote = connection.ops.quote_name
    through = Distributor.product_lines.through._meta.db_table
    rows = (f"FROM {quote(through)} l JOIN {quote(ProductLine._meta.db_table)} p ON p.{quote('id')} = "
            f"l.{quote('productline_id')} WHERE l.{quote('distributor_id')} = "
            f"{quote(Distributor._meta.db_table)}.{quote('id')}")
    order = f"p.{quote('name')}, p.{quote('id')}"
    if connection.vendor == "postgresql":
        return f"SELECT COALESCE(jsonb_agg(p.{quote('name')} ORDER BY {order}), '[]'::jsonb) {rows}"
    return f"SELECT json_group_array(n) FROM (SELECT p.{quote('name')} AS n {rows} ORDER BY {order})"


def _with_urls(rows, **names) -> None:
    """Each row's links (``attribute=URL name`` or ``(name, *args)``, the row's pk last), each name reversed once per
    page: the template reversed one per row and link (``{% url %}``, 45 µs each; issue 22)."""
    for attribute, name in names.items() if rows else ():
        url = pk_url(*name) if isinstance(name, tuple) else pk_url(name)
        for row in rows:
            setattr(row, attribute, url(row.pk))


def distributor_overview(*, principal, distributor, on_date) -> dict:
    """What the distributor page shows beyond the profile, each part only where the principal may see it."""
    mine = {"distributor_id": distributor.pk}
    coverages = list(
        coverage_list(principal=principal, filters=mine).select_related(None).select_related("territory", "product_line")
        .only(*columns(Coverage, territory=("id", "name"), product_line=("id", "name", "active")))
        .order_by("-valid_from", "territory__name", "product_line__name")
    )
    for coverage in coverages:
        coverage.active_today = coverage.is_active_on(on_date)
    # its own rows, just read (the distributor is visible, so are all of its coverage rows): two statements fewer
    sole = sole_channel_cells(distributor=distributor, on_date=on_date, own_coverages=coverages)
    # one distributor: its people's names order them and theirs (the models' ordering joined it for its code)
    people = list(person_list(principal=principal, filters=mine).select_related(None).order_by("full_name", "id"))
    relationships = list(
        relationship_list(principal=principal, filters=mine).select_related(None)
        .select_related("person", "manufacturer_user")
        .only(*columns(Relationship, person=("id", "full_name", "level", "active", "distributor"),
                      manufacturer_user=NAMES))
        .order_by("person__full_name", "id")
    )
    # Readiness, relationships and reviews follow reach (DESIGN.md §2), never for distributor salespeople.
    sees_relationships = principal.reaches(distributor.pk) and not principal.has_role("dist_sales")
    # The health flags, the relationship map (our people, strengths, staleness) and our interaction notes are the
    # manufacturer's internal assessment (DESIGN.md §2): a distributor user sees who relates to whom, no more.
    internal = principal.is_manufacturer and sees_relationships
    interactions = []
    if internal:
        # each names its relationship, just read (with its two people): not joined again
        by_id = {r.pk: r for r in relationships}
        recent = interaction_list(principal=principal, relationship_ids=list(by_id)).select_related(None)[:20]
        interactions = list(recent)
        for interaction in interactions:
            interaction.relationship = by_id[interaction.relationship_id]
    # The page shows each assessment's date, score and version, never its answers: they are not read here.
    assessments = list(readiness_list(principal=principal, filters=mine).prefetch_related(None)
                       .select_related(None).select_related("questionnaire")
                       .only(*columns(ReadinessAssessment, questionnaire=("id", "version")))
                       .order_by("-assessed_on", "-id"))
    _with_urls(people, edit_url="network:person_update")
    _with_urls(relationships, log_url="network:interaction_create", edit_url="network:relationship_update",
               history_url=("core:history", "network", "relationship"))
    _with_urls(assessments, url="network:readiness_detail")
    actions = list(action_item_list(principal=principal, assessment_ids=[a.pk for a in assessments[:1]])
                   .select_related(None).select_related("owner").only(*columns(ActionItem, owner=NAMES))
                   .order_by("due_on", "id"))  # one assessment's
    reviews = list(review_list(principal=principal, filters=mine).select_related(None).select_related("reviewer")
                   .only(*columns(ComplianceReview, reviewer=NAMES)).order_by("-reviewed_on", "-id"))
    _with_urls(reviews, edit_url="network:review_update", history_url=("core:history", "network", "compliancereview"))
    return {
        "coverages": coverages,
        "sole_cells": sole,
        "playbook": playbook_for(principal=principal, distributor=distributor, sole_channel=bool(sole)),
        "people": people,
        "relationships": relationships,
        "interactions": interactions,
        "sees_relationships": sees_relationships,
        "sees_internal_assessment": internal,
        "health_flags": relationship_health(distributor=distributor, relationships=relationships, on_date=on_date)
        if internal
        else [],
        "relationship_map": relationship_map(
            distributor=distributor, people=people, relationships=relationships, on_date=on_date
        )
        if internal
        else None,
        "assessments": assessments,
        "latest_assessment": assessments[0] if assessments else None,
        "latest_actions": actions,
        "readiness_trend": [
            {"date": a.assessed_on.isoformat(), "score": a.score, "url": a.url}
            for a in sorted(assessments, key=lambda a: (a.assessed_on, a.pk))
        ],
        "reviews": reviews,
    }
