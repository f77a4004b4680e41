"""Role-aware navigation. Apps register entries in AppConfig.ready(); only pages that work are registered."""

from dataclasses import dataclass

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


def register_nav(label, url_name, *, icon="circle", roles=None, order=100) -> None:
    _entries.append(NavEntry(label, url_name, icon, frozenset(str(r) for r in roles) if roles else None, order))


def entries_for(principal) -> list[dict]:
    return [
        {"label": e.label, "url": reverse(e.url_name), "icon": e.icon, "url_name": e.url_name}
        for e in sorted(_entries, key=lambda e: (e.order, str(e.label)))
        if e.allowed(principal)
    ]


def sections_for(principal, path: str = "") -> list[dict]:
    """Entries grouped under their app's name (the URL namespace), the current page's entry marked active."""
    from django.apps import apps

    entries = entries_for(principal)
    # The active entry is the one whose URL is the longest prefix of the current path.
    matches = [e for e in entries if path.startswith(e["url"])]
    active = max(matches, key=lambda e: len(e["url"]))["url_name"] if matches else None
    sections: dict[str, dict] = {}
    for entry in entries:
        entry["active"] = entry["url_name"] == active
        label = entry["url_name"].split(":", 1)[0]
        if label not in sections:
            try:
                title = apps.get_app_config(label).verbose_name
            except LookupError:
                title = label
            sections[label] = {"title": title, "entries": []}
        sections[label]["entries"].append(entry)
    return list(sections.values())


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
