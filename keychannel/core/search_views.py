"""The global search page (``/search/?q=``): hits grouped by type, each a link to the record. The top bar's box
(base.html, Ctrl-K in static/js/kc.js) submits here; the API ``GET /api/v1/search`` answers the same selector."""

from django.shortcuts import render
from django.utils.translation import gettext as _

from . import search


def search_page(request):
    q = request.GET.get("q", "").strip()[: search.MAX_QUERY]
    types = [t for t in request.GET.getlist("type") if t in search.source_keys()]
    query = search.parse_query(q)
    groups = search.search(request.principal, q, types=types or None) if query else []
    sources = [{"key": s.key, "label": s.label, "checked": s.key in types} for s in search.registered_sources()]
    return render(request, "core/search.html", {
        "q": q,
        "too_short": bool(q) and query is None,
        "groups": groups,
        "sources": sources,
        "hits": sum(len(g.hits) for g in groups),
        "limit": search.DEFAULT_LIMIT,
        "breadcrumbs": [(_("Search"), "")],
    })
