from .navigation import sections_for


def navigation(request):
    principal = getattr(request, "principal", None)
    if principal is None or not principal.is_authenticated:
        return {"nav_sections": []}
    from .selectors import unread_notification_count

    return {
        "nav_sections": sections_for(principal, request.path),
        "principal": principal,
        "unread_notifications": unread_notification_count(principal=principal),
    }
