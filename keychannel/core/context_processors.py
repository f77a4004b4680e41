from .navigation import entries_for


def navigation(request):
    principal = getattr(request, "principal", None)
    if principal is None or not principal.is_authenticated:
        return {"nav_entries": []}
    from .selectors import unread_notification_count

    return {
        "nav_entries": entries_for(principal),
        "principal": principal,
        "unread_notifications": unread_notification_count(principal=principal),
    }
