from django.utils.functional import SimpleLazyObject

from .navigation import nav_html


def navigation(request):
    """The sidebar and the notification bell of base.html. Both are lazy: a fragment rendered with the request's
    context (most HTMX answers) does not show them and pays for neither."""
    principal = getattr(request, "principal", None)
    if principal is None or not principal.is_authenticated:
        return {}
    match = request.resolver_match
    home = match is not None and match.view_name == "core:home"
    return {
        "nav_html": SimpleLazyObject(lambda: nav_html(principal, request.path, home=home)),
        "principal": principal,
        "unread_notifications": SimpleLazyObject(lambda: _unread(request, principal)),
    }


def _unread(request, principal) -> int:
    """Read with the membership on a page's GET (core.preferences), else counted here."""
    unread = getattr(request, "unread_notifications", None)
    if unread is None:
        from .selectors import unread_notification_count

        unread = unread_notification_count(principal=principal)
    return unread
