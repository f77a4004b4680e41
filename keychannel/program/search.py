"""The program app's sources of the global search (core/search.py): events and documents (learning resources,
courses, best practices), each as its list shows it to the principal (``visible_to``: drafts for the manufacturer
and, for best practices, their own distributor). Small tables read whole (no trigram index): each title and
location is folded once per row (``fold_once``)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from keychannel.core.search import SearchBranch, SearchHit

from .models import BestPractice, Course, Event, LearningResource


def _event_hit(row):
    event = row.record(Event)
    parts = [event.get_kind_display(), event.location, _date(event.starts_at)]
    return SearchHit(event.title, event.get_absolute_url(), " · ".join(str(p) for p in parts if p))


def find_events(principal, query):
    return SearchBranch(Event.objects.visible_to(principal), fields=["title", "location"],
                        text_fields=["description"], hit=_event_hit, fold_once=True,
                        values={"title": "title", "kind": "kind", "location": "location", "starts_at": "starts_at"})


def _date(moment):
    from django.utils import formats, timezone

    return formats.date_format(timezone.localtime(moment), "SHORT_DATE_FORMAT")


def _resource_hit(row):
    resource = row.record(LearningResource)
    return SearchHit(resource.title, resource.get_absolute_url(),
                     " · ".join((_("Learning resource"), resource.get_kind_display())))


def _course_hit(row):
    course = row.record(Course)
    return SearchHit(course.title, course.get_absolute_url(), _("Course"))


def _practice_hit(row):
    practice = row.record(BestPractice)
    return SearchHit(practice.title, practice.get_absolute_url(),
                     " · ".join((_("Best practice"), practice.get_status_display())))


def find_documents(principal, query):
    return [
        SearchBranch(LearningResource.objects.visible_to(principal), fields=["title"], text_fields=["description"],
                     hit=_resource_hit, fold_once=True, values={"title": "title", "kind": "kind"}),
        SearchBranch(Course.objects.visible_to(principal), fields=["title"], text_fields=["description"],
                     hit=_course_hit, fold_once=True, values={"title": "title"}),
        SearchBranch(BestPractice.objects.visible_to(principal), fields=["title"], text_fields=["story", "lessons"],
                     hit=_practice_hit, fold_once=True, values={"title": "title", "status": "status"}),
    ]
