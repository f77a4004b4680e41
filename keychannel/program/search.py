"""The program app's sources of the global search (core/search.py): events and documents (learning resources,
courses, best practices), each as its list shows it to the principal (``visible_to``: drafts for the manufacturer
and, for best practices, their own distributor)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from keychannel.core.search import SearchHit, ranked

from .models import BestPractice, Course, Event, LearningResource


def find_events(principal, query, limit):
    qs = Event.objects.visible_to(principal)
    hits = []
    for event, score in ranked(qs, query, fields=["title", "location"], text_fields=["description"], limit=limit):
        parts = [event.get_kind_display(), event.location, _date(event.starts_at)]
        hits.append(SearchHit(event.title, event.get_absolute_url(), " · ".join(str(p) for p in parts if p), score))
    return hits


def _date(moment):
    from django.utils import formats, timezone

    return formats.date_format(timezone.localtime(moment), "SHORT_DATE_FORMAT")


def find_documents(principal, query, limit):
    hits = []
    for resource, score in ranked(LearningResource.objects.visible_to(principal), query, fields=["title"],
                                  text_fields=["description"], limit=limit):
        hits.append(SearchHit(resource.title, resource.get_absolute_url(),
                              " · ".join((_("Learning resource"), resource.get_kind_display())), score))
    for course, score in ranked(Course.objects.visible_to(principal), query, fields=["title"],
                                text_fields=["description"], limit=limit):
        hits.append(SearchHit(course.title, course.get_absolute_url(), _("Course"), score))
    practices = BestPractice.objects.visible_to(principal).select_related("distributor")
    for practice, score in ranked(practices, query, fields=["title"], text_fields=["story", "lessons"], limit=limit):
        hits.append(SearchHit(practice.title, practice.get_absolute_url(),
                              " · ".join((_("Best practice"), practice.get_status_display())), score))
    hits.sort(key=lambda hit: -hit.score)
    return hits[:limit]
