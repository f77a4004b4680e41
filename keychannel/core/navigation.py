"""Role-aware navigation. Apps register entries in AppConfig.ready(); only pages that work are registered."""

import re
from dataclasses import dataclass

from django.core.signals import setting_changed
from django.urls import reverse


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    icon: str = "circle"
    roles: frozenset[str] | None = None  # None: every signed-in role
    order: int = 100

    def allowed(self, principal) -> bool:
        return principal.is_authenticated and (self.roles is None or principal.role in self.roles)


_entries: list[NavEntry] = []
# The sidebar as HTML per (role, language, script prefix, URLconf), each entry's class left as a marker: a page
# only marks its active entry. Built each request it cost about 30 reverse() calls, the sort, the sections and
# some 400 template nodes (a third of a bare page's Python). Entries are registered in ready(), before any page.
_rendered: dict[tuple, tuple[str, tuple[tuple[str, str], ...]]] = {}
_MARK = "\x00kc-nav:{}\x00"
_MARKS = re.compile("\x00kc-nav:[^\x00]*\x00")


def register_nav(label, url_name, *, icon="circle", roles=None, order=100) -> None:
    _entries.append(NavEntry(label, url_name, icon, frozenset(str(r) for r in roles) if roles else None, order))
    _rendered.clear()


def entries_for(principal) -> list[dict]:
    return [
        {"label": e.label, "url": reverse(e.url_name), "icon": e.icon, "url_name": e.url_name}
        for e in sorted(_entries, key=lambda e: (e.order, str(e.label)))
        if e.allowed(principal)
    ]


def sections_for(principal, path: str = "") -> list[dict]:
    """Entries grouped under their app's name (the URL namespace), the current page's entry marked active."""
    entries = entries_for(principal)
    active = _active(((e["url"], e["url_name"]) for e in entries), path)
    sections: dict[str, dict] = {}
    for entry in entries:
        entry["active"] = entry["url_name"] == active
        label = entry["url_name"].split(":", 1)[0]
        if label not in sections:
            sections[label] = {"title": _section_title(label), "entries": []}
        sections[label]["entries"].append(entry)
    return list(sections.values())


def _section_title(label: str):
    from django.apps import apps

    try:
        return apps.get_app_config(label).verbose_name
    except LookupError:
        return label


def _active(urls, path: str) -> str | None:
    """The entry whose URL is the longest prefix of the current path."""
    best = None
    for url, url_name in urls:
        if path.startswith(url) and (best is None or len(url) > len(best[0])):
            best = (url, url_name)
    return best[1] if best else None


def nav_html(principal, path: str, *, home: bool) -> str:
    """The sidebar's links (includes/nav.html) for ``principal``'s role, the current page's entry marked active
    (``home``: the home page's link)."""
    from django.template.loader import render_to_string
    from django.urls import get_script_prefix, get_urlconf
    from django.utils.safestring import mark_safe
    from django.utils.translation import get_language

    key = (principal.role, get_language(), get_script_prefix(), get_urlconf())
    built = _rendered.get(key)
    if built is None:
        sections = sections_for(principal)
        for section in sections:
            for entry in section["entries"]:
                entry["mark"] = _MARK.format(entry["url_name"])
        html = render_to_string("includes/nav.html", {"sections": sections, "home_mark": _MARK.format("core:home")})
        urls = tuple((e["url"], e["url_name"]) for section in sections for e in section["entries"])
        built = _rendered[key] = (html, urls)
    html, urls = built
    active = "core:home" if home else _active(urls, path)
    if active is not None:
        html = html.replace(_MARK.format(active), " active", 1)
    return mark_safe(_MARKS.sub("", html))  # noqa: S308 - rendered by the (autoescaping) template above


def _forget(**kwargs) -> None:
    """A test that swaps the URLconf or the script prefix's settings must not see another's links."""
    _rendered.clear()


setting_changed.connect(_forget)


@dataclass(frozen=True)
class HomeFigure:
    label: str
    compute: object  # callable(principal) -> number or None (None: not for this role)
    url_name: str | None = None
    order: int = 100


_figures: list[HomeFigure] = []


def register_home_figure(label, compute, *, url_name=None, order=100) -> None:
    _figures.append(HomeFigure(label, compute, url_name, order))


def figures_for(principal) -> list[dict]:
    shown = []
    for figure in sorted(_figures, key=lambda f: f.order):
        value = figure.compute(principal)
        if value is not None:
            shown.append({"label": figure.label, "value": value, "url": reverse(figure.url_name) if figure.url_name else ""})
    return shown


@dataclass(frozen=True)
class PagePanel:
    """A panel a higher app adds to a lower app's page, loaded by HTMX from its own (scoped) URL."""

    page: str  # e.g. "clients.client"
    url_name: str  # takes the page object's pk as its one argument
    order: int = 100


_panels: list[PagePanel] = []


def register_panel(page: str, url_name: str, *, order=100) -> None:
    """Apps call this in ready(): the page ``page`` shows ``url_name``'s fragment (``{% page_panels %}``)."""
    _panels.append(PagePanel(page, url_name, order))


def panel_urls(page: str, pk) -> list[str]:
    return [reverse(p.url_name, args=[pk]) for p in sorted(_panels, key=lambda p: p.order) if p.page == page]
