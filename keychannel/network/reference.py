"""Writes of the network's reference data (issue 16): territories and product lines, kept by the program office.

Each write checks ``network.reference.change`` (admin, program manager), validates before anything is saved and
is audited by the models' history. Nothing is deleted: a product line is retired (``active=False``, it stays on
the agreements and deals that name it); a territory is renamed or moved, never removed (coverage, clients and
distributors point at it).
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from keychannel.core.policies import require

from .choices import TerritoryLevel
from .models import ProductLine, Territory

LEVEL_ORDER = [TerritoryLevel.COUNTRY, TerritoryLevel.REGION, TerritoryLevel.COUNTY, TerritoryLevel.CITY]
TERRITORY_FIELDS = {"name", "code", "level", "parent"}
PRODUCT_LINE_FIELDS = {"name", "code", "description", "active"}


def _check_territory(territory: Territory, *, placed: bool = True) -> None:
    """``placed``: the level or the parent is new (a creation, a move) and must fit the tree; a rename keeps the
    place a territory already has."""
    territory.name = (territory.name or "").strip()
    territory.code = slugify(territory.code or territory.name)[:40]
    if territory.level not in TerritoryLevel.values:
        raise ValidationError({"level": _("Choose a level.")})
    if placed:
        _check_place(territory)
    territory.full_clean()


def _rank(level) -> int:
    return LEVEL_ORDER.index(TerritoryLevel(level))


def _check_place(territory: Territory) -> None:
    parent = territory.parent
    if parent is None and territory.level != TerritoryLevel.COUNTRY:
        raise ValidationError({"parent": _("Only a country stands without a parent territory.")})
    if parent is not None and _rank(parent.level) >= _rank(territory.level):
        raise ValidationError({"parent": _("The parent must be a larger territory (country › region › county › city).")})
    node = parent
    while node is not None:  # moving a territory under one of its own descendants would make a loop
        if territory.pk is not None and node.pk == territory.pk:
            raise ValidationError({"parent": _("A territory cannot sit inside itself.")})
        node = node.parent
    if territory.pk is not None:
        for child_level in set(territory.children.order_by().values_list("level", flat=True)):
            if _rank(child_level) <= _rank(territory.level):
                raise ValidationError({"level": _("Territories below this one are not smaller than this level.")})


def _save(obj, field: str):
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:  # two people saving the same code at once: one wins
        raise ValidationError({field: _("This code is taken.")}) from None
    return obj


@transaction.atomic
def territory_create(*, principal, **fields) -> Territory:
    require(principal, "network.reference.change")
    territory = Territory(**{k: v for k, v in fields.items() if k in TERRITORY_FIELDS})
    _check_territory(territory)
    return _save(territory, "code")


@transaction.atomic
def territory_update(*, principal, territory: Territory, **fields) -> Territory:
    require(principal, "network.reference.change", territory)
    territory = Territory.objects.select_for_update().get(pk=territory.pk)
    placed = False
    for name, value in fields.items():
        if name in TERRITORY_FIELDS:
            placed = placed or (name in {"level", "parent"} and getattr(territory, name) != value)
            setattr(territory, name, value)
    _check_territory(territory, placed=placed)
    return _save(territory, "code")


def _check_product_line(line: ProductLine) -> None:
    line.name = (line.name or "").strip()
    line.code = slugify(line.code or line.name)[:40]
    line.full_clean()


@transaction.atomic
def product_line_create(*, principal, **fields) -> ProductLine:
    require(principal, "network.reference.change")
    line = ProductLine(**{k: v for k, v in fields.items() if k in PRODUCT_LINE_FIELDS})
    _check_product_line(line)
    return _save(line, "code")


@transaction.atomic
def product_line_update(*, principal, product_line: ProductLine, **fields) -> ProductLine:
    """Rename, describe, retire or bring back a product line (retired: no new agreements, registrations or deals)."""
    require(principal, "network.reference.change", product_line)
    line = ProductLine.objects.select_for_update().get(pk=product_line.pk)
    for name, value in fields.items():
        if name in PRODUCT_LINE_FIELDS:
            setattr(line, name, value)
    _check_product_line(line)
    return _save(line, "code")
