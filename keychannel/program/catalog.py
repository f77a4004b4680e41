"""The learning catalogue kept in the product (issue 16): courses, their modules, learning resources.

The program office (``program.learning.change``: admin, program manager) writes; distributor users read what is
published. Every write validates before it saves and is audited by the models' history. Nothing is deleted: a
course or resource is unpublished (enrolments and certificates keep pointing at it).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.text import slugify
from django.utils.translation import gettext as _

from keychannel.core.policies import require
from keychannel.core.uploads import checked_content_type

from .choices import ResourceKind
from .models import Course, CourseModule, LearningResource
from .services import PROOF_TYPES

COURSE_FIELDS = {"code", "title", "description", "certificate_title", "published"}
MODULE_FIELDS = {"title", "content", "position"}
RESOURCE_FIELDS = {"title", "kind", "description", "url", "published"}
# A learning file: a PDF or an image, recognised by its first bytes as well as its declared type.
RESOURCE_TYPES = PROOF_TYPES


def _save(obj, field: str):
    obj.full_clean()
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:  # the same code or position saved twice at the same moment: one wins
        raise ValidationError({field: _("This one is taken: choose another.")}) from None
    return obj


def _apply(obj, fields: dict, allowed: set) -> None:
    for name, value in fields.items():
        if name in allowed:
            setattr(obj, name, value.strip() if isinstance(value, str) and name != "content" else value)


@transaction.atomic
def course_create(*, principal, **fields) -> Course:
    require(principal, "program.learning.change")
    course = Course()
    _apply(course, fields, COURSE_FIELDS)
    course.code = slugify(course.code or course.title)[:60]
    return _save(course, "code")


@transaction.atomic
def course_update(*, principal, course: Course, **fields) -> Course:
    require(principal, "program.learning.change", course)
    course = Course.objects.select_for_update().get(pk=course.pk)
    _apply(course, fields, COURSE_FIELDS)
    course.code = slugify(course.code or course.title)[:60]
    return _save(course, "code")


@transaction.atomic
def module_create(*, principal, course: Course, **fields) -> CourseModule:
    """A module at the given position, or after the last one."""
    require(principal, "program.learning.change", course)
    Course.objects.select_for_update().get(pk=course.pk)  # queues simultaneous additions to one course
    module = CourseModule(course=course)
    _apply(module, fields, MODULE_FIELDS)
    if not module.position:
        module.position = (course.modules.aggregate(last=Max("position"))["last"] or 0) + 1
    _check_position(module)
    return _save(module, "position")


@transaction.atomic
def module_update(*, principal, module: CourseModule, **fields) -> CourseModule:
    require(principal, "program.learning.change", module.course)
    module = CourseModule.objects.select_for_update().get(pk=module.pk)
    _apply(module, fields, MODULE_FIELDS)
    _check_position(module)
    return _save(module, "position")


def _check_position(module: CourseModule) -> None:
    if not module.position or module.position < 1:
        raise ValidationError({"position": _("Positions start at 1.")})
    if CourseModule.objects.filter(course_id=module.course_id, position=module.position).exclude(pk=module.pk).exists():
        raise ValidationError({"position": _("Another module of this course has this position.")})


def check_resource_file(upload) -> str:
    """The file's content type, after checking the declared type, the first bytes and the size."""
    mb = settings.KEYCHANNEL_MAX_UPLOAD_MB
    return checked_content_type(upload, field="file", allowed=RESOURCE_TYPES, max_bytes=mb * 1024 * 1024,
                                too_large=_("The file is larger than %(mb)s MB.") % {"mb": mb},
                                wrong_type=_("A learning file must be a PDF, PNG or JPEG file."))


def _check_resource(resource: LearningResource, upload) -> None:
    if upload is not None:
        resource.file_content_type = check_resource_file(upload)
        resource.file.save(upload.name.rsplit("/", 1)[-1][:80], upload, save=False)
    if resource.kind == ResourceKind.LINK and not resource.url:
        raise ValidationError({"url": _("A link resource needs its address.")})
    if resource.kind == ResourceKind.FILE and not resource.file:
        raise ValidationError({"file": _("A file resource needs its file.")})


@transaction.atomic
def resource_create(*, principal, file=None, **fields) -> LearningResource:
    require(principal, "program.learning.change")
    resource = LearningResource()
    _apply(resource, fields, RESOURCE_FIELDS)
    resource.full_clean(exclude=["file"])
    _check_resource(resource, file)
    return _save(resource, "title")


@transaction.atomic
def resource_update(*, principal, resource: LearningResource, file=None, **fields) -> LearningResource:
    require(principal, "program.learning.change", resource)
    resource = LearningResource.objects.select_for_update().get(pk=resource.pk)
    _apply(resource, fields, RESOURCE_FIELDS)
    resource.full_clean(exclude=["file"])
    _check_resource(resource, file)
    return _save(resource, "title")
