"""API of the learning catalogue (issue 16): courses, modules and learning resources, written by the program
office through the same services as the pages (catalog.py). Operations join the program router."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Schema, Status
from ninja.files import UploadedFile

from keychannel.core.pagination import BoundedPagination, paginate
from keychannel.core.policies import require
from keychannel.core.schemas import WRITE_ERRORS, ErrorOut

from . import catalog, selectors
from .api import router
from .choices import ResourceKind
from .models import CourseModule
from .schemas import CourseOut


class CourseIn(Schema):
    title: str = Field(..., min_length=1, max_length=160)
    code: str = Field("", max_length=60, description="Made from the title when empty")
    description: str = ""
    certificate_title: str = Field("", max_length=160, description="Empty: completing it certifies nobody")
    published: bool = False


class CoursePatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=160)
    code: str | None = Field(None, max_length=60)
    description: str | None = None
    certificate_title: str | None = Field(None, max_length=160)
    published: bool | None = None


class ModuleOut(Schema):
    id: int
    course_id: int
    position: int
    title: str
    content: str


class ModuleIn(Schema):
    title: str = Field(..., min_length=1, max_length=160)
    content: str = ""
    position: int | None = Field(None, ge=1, le=32767, description="Empty: after the last module")


class ModulePatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=160)
    content: str | None = None
    position: int | None = Field(None, ge=1, le=32767)


class ResourceOut(Schema):
    id: int
    title: str
    kind: ResourceKind
    description: str
    url: str
    has_file: bool
    file_content_type: str
    published: bool
    updated_at: datetime

    @staticmethod
    def resolve_has_file(obj):
        return bool(obj.file)


class ResourcePatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=160)
    kind: ResourceKind | None = None
    description: str | None = None
    url: str | None = Field(None, max_length=200)
    published: bool | None = None


def _no_nulls(fields: dict) -> dict:
    if any(v is None for v in fields.values()):
        raise ValidationError({k: _("May not be empty.") for k, v in fields.items() if v is None})
    return fields


@router.post("/courses", response={201: CourseOut, **WRITE_ERRORS}, summary="Add a course (program office)")
def course_create(request, payload: CourseIn):
    return Status(201, catalog.course_create(principal=request.principal, **payload.model_dump()))


@router.patch("/courses/{int:course_id}", response={200: CourseOut, **WRITE_ERRORS},
              summary="Edit, publish or unpublish a course (program office)")
def course_update(request, course_id: int, payload: CoursePatch):
    require(request.principal, "program.learning.change")
    course = selectors.course_get(principal=request.principal, pk=course_id)
    return catalog.course_update(principal=request.principal, course=course,
                                 **_no_nulls(payload.model_dump(exclude_unset=True)))


@router.get("/courses/{int:course_id}/modules", response={200: list[ModuleOut], 404: ErrorOut},
            summary="A course's modules in order")
def module_list(request, course_id: int):
    return list(selectors.course_get(principal=request.principal, pk=course_id).modules.all())


@router.post("/courses/{int:course_id}/modules", response={201: ModuleOut, **WRITE_ERRORS},
             summary="Add a module to a course (program office)")
def module_create(request, course_id: int, payload: ModuleIn):
    require(request.principal, "program.learning.change")
    course = selectors.course_get(principal=request.principal, pk=course_id)
    return Status(201, catalog.module_create(principal=request.principal, course=course, **payload.model_dump()))


@router.patch("/course-modules/{int:module_id}", response={200: ModuleOut, **WRITE_ERRORS},
              summary="Edit or move a module (program office)")
def module_update(request, module_id: int, payload: ModulePatch):
    require(request.principal, "program.learning.change")
    module = get_object_or_404(CourseModule.objects.visible_to(request.principal).select_related("course"),
                               pk=module_id)
    return catalog.module_update(principal=request.principal, module=module,
                                 **_no_nulls(payload.model_dump(exclude_unset=True)))


@router.get("/learning-resources", response=list[ResourceOut], summary="Learning resources (distributors: published)")
@paginate(BoundedPagination)
def resource_list(request):
    return selectors.resource_list(principal=request.principal)


@router.post("/learning-resources", response={201: ResourceOut, **WRITE_ERRORS},
             summary="Add a learning resource: a link, or a file (multipart; PDF, PNG or JPEG)")
def resource_create(request, title: Form[str], kind: Form[ResourceKind], description: Form[str] = "",
                    url: Form[str] = "", published: Form[bool] = False, file: File[UploadedFile] = None):
    return Status(201, catalog.resource_create(principal=request.principal, title=title, kind=kind,
                                               description=description, url=url, published=published, file=file))


@router.patch("/learning-resources/{int:resource_id}", response={200: ResourceOut, **WRITE_ERRORS},
              summary="Edit, publish or unpublish a learning resource (program office)")
def resource_update(request, resource_id: int, payload: ResourcePatch):
    require(request.principal, "program.learning.change")
    resource = selectors.resource_get(principal=request.principal, pk=resource_id)
    return catalog.resource_update(principal=request.principal, resource=resource,
                                   **_no_nulls(payload.model_dump(exclude_unset=True)))


@router.post("/learning-resources/{int:resource_id}/file", response={200: ResourceOut, **WRITE_ERRORS},
             summary="Replace a learning resource's file (multipart; PDF, PNG or JPEG)")
def resource_file_replace(request, resource_id: int, file: File[UploadedFile]):
    require(request.principal, "program.learning.change")
    resource = selectors.resource_get(principal=request.principal, pk=resource_id)
    return catalog.resource_update(principal=request.principal, resource=resource, file=file)
