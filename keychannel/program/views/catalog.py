"""Pages of the learning catalogue (issue 16): the program office adds and edits courses, modules and resources.
Services in catalog.py; the page answers 422 with the reasons when a save is refused."""

from django import forms
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from keychannel.core.forms import StyledFormMixin
from keychannel.core.policies import require
from keychannel.core.views import form_page

from .. import catalog, selectors
from ..models import Course, CourseModule, LearningResource

LEARNING = (gettext_lazy("Learning"), "program:course_list")


class CourseForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Course
        fields = ["title", "code", "description", "certificate_title", "published"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].required = False
        self.fields["code"].help_text = _("Made from the title when left empty.")

    def validate_unique(self):
        """The service checks the code (it may still be made from the title)."""


class ModuleForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = CourseModule
        fields = ["title", "position", "content"]
        widgets = {"content": forms.Textarea(attrs={"rows": 8})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["position"].required = False
        self.fields["position"].help_text = _("Empty: after the last module.")

    def validate_unique(self):
        """The service checks the position."""


class ResourceForm(StyledFormMixin, forms.ModelForm):
    url = forms.URLField(label=gettext_lazy("link"), required=False, assume_scheme="https")

    class Meta:
        model = LearningResource
        fields = ["title", "kind", "description", "url", "file", "published"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3}), "file": forms.FileInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("PDF, PNG or JPEG. Leave empty to keep the current file.")

    def clean(self):
        data = super().clean()
        # The file goes to the service separately (checked there); the model form must not store it itself.
        data["upload"] = data.pop("file", None) or None
        if data["upload"] is not None and not hasattr(data["upload"], "content_type"):
            data["upload"] = None
        return data


def _resource_data(data):
    data = dict(data)
    return data.pop("upload", None), data


@require_http_methods(["GET", "POST"])
def course_create(request):
    principal = request.principal
    require(principal, "program.learning.change")
    form = CourseForm(request.POST or None)
    return form_page(request, form, title=_("New course"), breadcrumbs=[LEARNING, (_("New course"), "")],
                     save=lambda data: catalog.course_create(principal=principal, **data),
                     success=_("Course saved."))


@require_http_methods(["GET", "POST"])
def course_update(request, pk):
    principal = request.principal
    course = selectors.course_get(principal=principal, pk=pk)
    require(principal, "program.learning.change", course)
    form = CourseForm(request.POST or None, instance=Course.objects.get(pk=pk))
    return form_page(request, form, title=_("Edit %(name)s") % {"name": course.title},
                     breadcrumbs=[LEARNING, (course.title, course.get_absolute_url()), (_("Edit"), "")],
                     save=lambda data: catalog.course_update(principal=principal, course=course, **data),
                     success=_("Course saved."))


@require_http_methods(["GET", "POST"])
def module_create(request, pk):
    principal = request.principal
    course = selectors.course_get(principal=principal, pk=pk)
    require(principal, "program.learning.change", course)
    form = ModuleForm(request.POST or None)
    return form_page(request, form, title=_("New module"),
                     breadcrumbs=[LEARNING, (course.title, course.get_absolute_url()), (_("New module"), "")],
                     save=lambda data: catalog.module_create(principal=principal, course=course, **data),
                     success=_("Module saved."))


@require_http_methods(["GET", "POST"])
def module_update(request, pk):
    principal = request.principal
    module = get_object_or_404(CourseModule.objects.visible_to(principal).select_related("course"), pk=pk)
    require(principal, "program.learning.change", module.course)
    form = ModuleForm(request.POST or None, instance=CourseModule.objects.get(pk=pk))
    course = module.course
    return form_page(request, form, title=_("Edit %(name)s") % {"name": module.title},
                     breadcrumbs=[LEARNING, (course.title, course.get_absolute_url()), (_("Edit"), "")],
                     save=lambda data: catalog.module_update(principal=principal, module=module, **data),
                     success=_("Module saved."))


@require_http_methods(["GET", "POST"])
def resource_create(request):
    principal = request.principal
    require(principal, "program.learning.change")
    form = ResourceForm(request.POST or None, request.FILES or None)

    def save(data):
        upload, fields = _resource_data(data)
        return catalog.resource_create(principal=principal, file=upload, **fields)

    return form_page(request, form, title=_("New learning resource"),
                     breadcrumbs=[LEARNING, (_("New learning resource"), "")], save=save,
                     success=_("Resource saved."))


@require_http_methods(["GET", "POST"])
def resource_update(request, pk):
    principal = request.principal
    resource = selectors.resource_get(principal=principal, pk=pk)
    require(principal, "program.learning.change", resource)
    form = ResourceForm(request.POST or None, request.FILES or None, instance=LearningResource.objects.get(pk=pk))

    def save(data):
        upload, fields = _resource_data(data)
        return catalog.resource_update(principal=principal, resource=resource, file=upload, **fields)

    return form_page(request, form, title=_("Edit %(name)s") % {"name": resource.title},
                     breadcrumbs=[LEARNING, (resource.title, ""), (_("Edit"), "")], save=save,
                     success=_("Resource saved."))
