"""Learning pages: courses and enrollments, resource files, best practices."""

from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from keychannel.core.policies import can, require
from keychannel.core.scoping import get_visible_or_404
from keychannel.core.views import form_page, post_action

from .. import forms, selectors, services
from ..models import Enrollment

# --- learning ---------------------------------------------------------------------------------------------------------


def course_list(request):
    principal = request.principal
    courses = list(selectors.course_list(principal=principal))
    mine = {e.course_id: e for e in Enrollment.objects.filter(user_id=principal.user_id)}
    return render(request, "program/course_list.html", {
        "courses": courses, "mine": mine, "resources": selectors.resource_list(principal=principal),
        "completion": selectors.completion_by_distributor(principal=principal) if can(principal, "program.business.view") else [],
        "can_edit": can(principal, "program.learning.change"),
        "breadcrumbs": [(_("Learning"), "")],
    })


def course_detail(request, pk):
    principal = request.principal
    course = selectors.course_get(principal=principal, pk=pk)
    return render(request, "program/course_detail.html", {
        "course": course, "modules": course.modules.all(),
        "enrollments": selectors.enrollment_list(principal=principal, course=course),
        "mine": Enrollment.objects.filter(course=course, user_id=principal.user_id).first(),
        "can_complete": can(principal, "program.enrollment.complete"),
        "can_edit": can(principal, "program.learning.change", course),
        "breadcrumbs": [(_("Learning"), "program:course_list"), (course.title, "")],
    })


@require_POST
def course_enroll(request, pk):
    course = selectors.course_get(principal=request.principal, pk=pk)
    return post_action(request, course, None, services.course_enroll, _("You are enrolled."), course=course)


@require_POST
def enrollment_complete(request, pk):
    enrollment = get_visible_or_404(Enrollment, request.principal, pk=pk)
    return post_action(request, enrollment, "program.enrollment.complete", services.enrollment_complete,
                       _("Completion recorded."), back=enrollment.course.get_absolute_url(), enrollment=enrollment)


def resource_file(request, pk):
    resource = selectors.resource_get(principal=request.principal, pk=pk)
    if not resource.file:
        raise Http404
    return FileResponse(resource.file.open("rb"), content_type=resource.file_content_type or "application/octet-stream",
                        as_attachment=True, filename=resource.file.name.rsplit("/", 1)[-1])


# --- best practices and tiers -------------------------------------------------------------------------------------------


def bestpractice_list(request):
    return render(request, "program/bestpractice_list.html", {
        "practices": selectors.best_practice_list(principal=request.principal),
        "can_create": can(request.principal, "program.bestpractice.create"),
        "breadcrumbs": [(_("Best practices"), "")],
    })


@require_http_methods(["GET", "POST"])
def bestpractice_create(request):
    principal = request.principal
    require(principal, "program.bestpractice.create")
    form = forms.BestPracticeForm(request.POST or None, principal=principal)
    return form_page(request, form, title=_("New success story"),
                     breadcrumbs=[(_("Best practices"), "program:bestpractice_list"), (_("New"), "")],
                     save=lambda data: services.best_practice_create(principal=principal, **data),
                     success=_("Story saved."))


def bestpractice_detail(request, pk):
    practice = selectors.best_practice_get(principal=request.principal, pk=pk)
    return render(request, "program/bestpractice_detail.html", {
        "practice": practice, "can_share": can(request.principal, "program.bestpractice.share", practice),
        "deal_visible": selectors.best_practice_deal_visible(principal=request.principal, practice=practice),
        "breadcrumbs": [(_("Best practices"), "program:bestpractice_list"), (practice.title, "")],
    })


@require_POST
def bestpractice_share(request, pk):
    practice = selectors.best_practice_get(principal=request.principal, pk=pk)
    return post_action(request, practice, "program.bestpractice.share", services.best_practice_share,
                       _("Shared with the network."), practice=practice)
