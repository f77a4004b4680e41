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


# --- readiness questionnaire versions -----------------------------------------------------------------------------
#
# A version answered by an assessment never changes (the assessment keeps the questions it answered); a new
# version is made in the product and put in use, and the assessments from then on answer it.


def _questions(raw) -> list[tuple[str, str, str]]:
    """``raw``: [{"code", "text", "help_text"}] or [(code, text, help_text)]; checked and normalised."""
    from .models import ReadinessQuestion

    rows, seen = [], set()
    for position, item in enumerate(raw or [], start=1):
        if isinstance(item, dict):
            code, text, help_text = item.get("code", ""), item.get("text", ""), item.get("help_text", "")
        else:
            code, text, help_text = (list(item) + ["", "", ""])[:3]
        text, help_text = (text or "").strip(), (help_text or "").strip()
        code = slugify(code or text)[:40]
        if not text:
            raise ValidationError({"questions": _("Question %(n)s has no text.") % {"n": position}})
        if len(text) > ReadinessQuestion._meta.get_field("text").max_length or len(help_text) > 250:
            raise ValidationError({"questions": _("Question %(n)s is too long (250 characters at most).")
                                   % {"n": position}})
        if code in seen:
            raise ValidationError({"questions": _("Two questions have the code %(code)s.") % {"code": code}})
        seen.add(code)
        rows.append((code, text, help_text))
    if not rows:
        raise ValidationError({"questions": _("A questionnaire needs at least one question.")})
    return rows


def _write_questions(questionnaire, rows) -> None:
    from .models import ReadinessQuestion

    questionnaire.questions.all().delete()
    ReadinessQuestion.objects.bulk_create([
        ReadinessQuestion(questionnaire=questionnaire, position=position, code=code, text=text, help_text=help_text)
        for position, (code, text, help_text) in enumerate(rows, start=1)
    ])


@transaction.atomic
def questionnaire_create(*, principal, title: str, introduction: str = "", questions=None):
    """A new version (the next number), not in use until it is put in use."""
    from .models import ReadinessQuestionnaire

    require(principal, "network.reference.change")
    rows = _questions(questions)
    last = ReadinessQuestionnaire.objects.select_for_update().order_by("-version").first()
    questionnaire = ReadinessQuestionnaire(version=(last.version if last else 0) + 1, title=(title or "").strip(),
                                           introduction=(introduction or "").strip(), active=False)
    questionnaire.full_clean()
    _save(questionnaire, "version")
    _write_questions(questionnaire, rows)
    return questionnaire


@transaction.atomic
def questionnaire_update(*, principal, questionnaire, title=None, introduction=None, questions=None):
    """Change a version nobody has answered yet; an answered one stays as its assessments saw it."""
    from .models import ReadinessQuestionnaire

    require(principal, "network.reference.change", questionnaire)
    questionnaire = ReadinessQuestionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    if questionnaire.assessments.exists():
        raise ValidationError(_("This version has been answered: its assessments keep it as it is. Make a new "
                                "version instead."))
    if title is not None:
        questionnaire.title = title.strip()
    if introduction is not None:
        questionnaire.introduction = introduction.strip()
    questionnaire.full_clean()
    questionnaire.save()
    if questions is not None:
        _write_questions(questionnaire, _questions(questions))
    return questionnaire


@transaction.atomic
def questionnaire_activate(*, principal, questionnaire):
    """Put a version in use: new assessments answer it; the others stop being offered (their assessments stay)."""
    from .models import ReadinessQuestionnaire

    require(principal, "network.reference.change", questionnaire)
    versions = list(ReadinessQuestionnaire.objects.select_for_update().order_by("version"))
    target = next(q for q in versions if q.pk == questionnaire.pk)
    if not target.questions.exists():
        raise ValidationError(_("A questionnaire without questions cannot be put in use."))
    for version in versions:
        wanted = version.pk == target.pk
        if version.active != wanted:
            version.active = wanted
            version.save(update_fields=["active", "updated_at"])
    return target


# --- channel presence ------------------------------------------------------------------------------------------------


@transaction.atomic
def presence_set(*, principal, territory: Territory, counts: dict, notes: dict | None = None) -> list:
    """How many of each channel the manufacturer has in ``territory`` (direct offices, franchises, …); 0 removes one.

    Channel managers keep it for the territories they work in, the program office for all."""
    from .choices import ChannelType
    from .models import ChannelPresence

    require(principal, "network.presence.change", territory)
    notes = notes or {}
    for channel_type, count in counts.items():
        if channel_type not in ChannelType.values:
            raise ValidationError({"counts": _("Unknown channel type: %(type)s.") % {"type": channel_type}})
        try:
            count = int(count)
        except (TypeError, ValueError):
            raise ValidationError({"counts": _("A count is a whole number.")}) from None
        if count < 0 or count > 100_000:
            raise ValidationError({"counts": _("A count is between 0 and 100000.")})
        note = (notes.get(channel_type) or "").strip()[:250]
        current = ChannelPresence.objects.select_for_update().filter(territory=territory,
                                                                     channel_type=channel_type).first()
        if count == 0:
            if current is not None:
                current.delete()
            continue
        if current is None:
            current = ChannelPresence(territory=territory, channel_type=channel_type)
        if current.pk is None or (current.count, current.note) != (count, note):
            current.count, current.note = count, note
            current.full_clean(validate_unique=False)
            current.save()
    return list(ChannelPresence.objects.filter(territory=territory))
