"""The one helper for HTMX: render the named partial for an HTMX request, the full page otherwise."""

from django.shortcuts import render


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def render_partial(request, template: str, context: dict, *, partial: str | None = None, status: int = 200):
    """``partial`` is a template rendered alone for HTMX requests (e.g. the table body of a list page)."""
    if partial and is_htmx(request) and not request.headers.get("HX-Boosted"):
        return render(request, partial, context, status=status)
    return render(request, template, context, status=status)
