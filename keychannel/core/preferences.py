"""A user's language and time zone (Membership.language / .time_zone, set on the profile page).

Applied to every page by UserPreferencesMiddleware, to the API by its authentication (api_auth._bind), and to
what is written *for* a user: notifications and their e-mails by ``core.notifications.notification_send`` (which
renders the text itself, in the recipient's language and time zone), other mails by ``in_language_of(recipient)``;
so a Romanian head reads the notice a Russian-speaking manager's action sent them in Romanian (docs/i18n.md).
"""

from __future__ import annotations

import zoneinfo
from contextlib import contextmanager
from functools import lru_cache

from django.conf import settings
from django.utils import timezone, translation

_CACHE = "_kc_preferences"


@lru_cache(maxsize=1)
def time_zones() -> tuple[str, ...]:
    return tuple(sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))))


def is_time_zone(name: str) -> bool:
    return name in time_zones()


def language_codes() -> set[str]:
    return {code for code, _name in settings.LANGUAGES}


def preferences_of(user) -> tuple[str, str]:
    """(language, time zone) the user chose; "" for each they left to the browser / the default."""
    if user is None or not getattr(user, "is_authenticated", False):
        return "", ""
    cached = getattr(user, _CACHE, None)
    if cached is None:
        from .models import Membership  # local: models import scoping, which this module must not

        # order_by("pk"): the model's ordering would join the organisation and the user for one row.
        row = Membership.objects.filter(user=user).order_by("pk").values_list("language", "time_zone").first()
        cached = remember(user, *row) if row else remember(user, "", "")
    return cached


def remember(user, language: str, zone: str) -> tuple[str, str]:
    """Keep the user's choice for this request, read from a membership the caller has just loaded (the API
    token's query joins it) or by ``preferences_of``."""
    cached = (language if language in language_codes() else "", zone if is_time_zone(zone) else "")
    setattr(user, _CACHE, cached)
    return cached


def forget(user) -> None:
    """Drop the cached choice after the profile changed it."""
    if user is not None and hasattr(user, _CACHE):
        delattr(user, _CACHE)


def activate_for(request, user) -> None:
    """Switch this request to the user's language and time zone (those they left blank stay as they were)."""
    language, zone = preferences_of(user)
    if language:
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
    timezone.activate(zoneinfo.ZoneInfo(zone or settings.TIME_ZONE))


def language_of(user, default: str | None = None) -> str:
    """The language to write to the user in: their choice, else ``default``, else the site's default language."""
    return preferences_of(user)[0] or default or settings.LANGUAGE_CODE


@contextmanager
def in_language_of(user, default: str | None = None):
    """Render text meant for ``user`` (a notification, an e-mail) in their language."""
    with translation.override(language_of(user, default)):
        yield


def _read_membership_once(request, user) -> None:
    """One query for what a page needs of the membership: the role and organisation (the principal) and the
    language and time zone (this middleware). Read separately, every page paid for the same row twice."""
    from .models import Membership  # local: models import scoping, which this module must not
    from .scoping import Principal, with_reach

    # And a distributor user's reach (scoping.with_reach): one round trip less on each of their pages.
    memberships = with_reach(Membership.objects.filter(user=user).order_by("pk").only("role", "organization_id",
                                                                                       "language", "time_zone"))
    page = request.method == "GET" and not request.headers.get("HX-Request") and not request.path.startswith("/api/")
    if page:  # and the top bar's bell (core.context_processors), in the same statement
        memberships = memberships.annotate(unread=_unread_count())
    membership = memberships.first()
    if page and membership is not None:
        request.unread_notifications = membership.unread
    if membership is None:
        remember(user, "", "")
    else:
        remember(user, membership.language, membership.time_zone)
    request.principal = Principal.for_membership(user, membership)


def _unread_count():
    from django.db.models import Count, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    from .models import Notification

    unread = (Notification.objects.filter(recipient_id=OuterRef("user_id"), read_at__isnull=True).order_by()
              .values("recipient_id").annotate(n=Count("*")).values("n"))
    return Coalesce(Subquery(unread), 0)


class UserPreferencesMiddleware:
    """After authentication: the logged-in user's language and time zone for the whole request.

    Anonymous pages (login, the public survey) keep LocaleMiddleware's choice: the language switcher's cookie,
    else Accept-Language. Content-Language and Vary are set by LocaleMiddleware on the way out.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            _read_membership_once(request, user)
            activate_for(request, user)
        else:
            timezone.activate(zoneinfo.ZoneInfo(settings.TIME_ZONE))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
