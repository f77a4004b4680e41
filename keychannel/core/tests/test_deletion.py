"""The delete rule in one place (core.deletion): guards that hold for every model, present and future."""

from types import SimpleNamespace

from django.apps import apps
from django.db import models

from keychannel.core.deletion import (
    deletable_by_distributors,
    is_manufacturer_owned,
    is_part,
    reverse_foreign_keys,
)

# What a delete does to the row pointing at the deleted record, besides refusing.
TOUCHING = (models.CASCADE, models.SET_NULL, models.SET_DEFAULT)


def _touches(rel) -> bool:
    return rel.on_delete in TOUCHING or getattr(rel.on_delete, "deconstruct", None) is not None  # models.SET(...)


def test_there_are_distributor_deletable_models():
    labels = {m._meta.label for m in deletable_by_distributors()}
    assert {"clients.CorporateClient", "clients.Stakeholder", "sales.ProductMapping"} <= labels


def test_no_manufacturer_record_cascades_from_a_distributor_deletable_one():
    """A model owned by the manufacturer (competence, channel, program, surveys, merges) may point at what a
    distributor can delete only with PROTECT: the delete must be refused, never take or blank its record."""
    bad = []
    for target in deletable_by_distributors():
        for rel in reverse_foreign_keys(target):
            if is_manufacturer_owned(rel.related_model) and _touches(rel):
                bad.append(f"{rel.related_model._meta.label}.{rel.field.name} -> {target._meta.label} "
                           f"({rel.on_delete.__name__})")
    assert bad == []


def test_parts_belong_to_the_distributor():
    """``part_of`` lets rows go with a deleted record; no manufacturer model may claim to be such a part."""
    bad = [
        model._meta.label
        for model in apps.get_models()
        if getattr(model, "part_of", ()) and is_manufacturer_owned(model)
    ]
    assert bad == []
    for model in apps.get_models():
        for name in getattr(model, "part_of", ()):
            assert model._meta.get_field(name).is_relation, f"{model._meta.label}.part_of names {name}"


def test_the_guard_sees_a_cascading_manufacturer_foreign_key():
    """The guard itself works: the competence mentorship's client link is a manufacturer FK it inspects."""
    from keychannel.clients.models import CorporateClient

    rels = {(r.related_model._meta.label, r.field.name): r for r in reverse_foreign_keys(CorporateClient)}
    mentorship = rels[("competence.Mentorship", "client")]
    assert is_manufacturer_owned(mentorship.related_model) and not is_part(mentorship)
    assert mentorship.on_delete is models.PROTECT
    assert ("sales.ClientMapping", "client") in rels  # hidden (related_name="+") relations are seen too
    assert all(_touches(SimpleNamespace(on_delete=way)) for way in (models.CASCADE, models.SET_NULL, models.SET(0)))
    assert not _touches(SimpleNamespace(on_delete=models.PROTECT))
