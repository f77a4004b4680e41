"""The cockpit: each role's home page answers "what do I do today".

Apps register panels in ``AppConfig.ready()`` (like nav entries and home figures), so ``core`` never imports a
domain app. A panel's ``build(principal, today)`` lives in its app's ``selectors.py`` and returns a
``PanelContent`` (or a list of ``CockpitItem``), or ``None`` when it has nothing to say to that principal. Every
item is a link to the page where the user acts on it.

A figure several panels read (the pipeline now, the deals won in a period) is computed once per cockpit:
inside :func:`one_build` (the home view opens it) ``once(key, compute)`` keeps each result for the rest of that
request only. The key names everything the result depends on; figures read through ``once`` are the same for every
principal who reads them (network-wide or for an explicit set of distributors), never scoped by the reader; a
figure scoped to its reader goes through ``once_for``, which keys it by the principal. Outside
a build ``once`` just computes, so every other page reads live as before.

The home page is a shell (core/views.py ``home``): a panel registered ``lazy`` (the default) is a placeholder that
HTMX fills from its own request (``home_panel``, the same ``allowed()`` check), so no page request pays for every
panel; without JavaScript the placeholder is a link to that panel's page. A panel measured cheap (one short
statement, e.g. the week's events) registers ``lazy=False`` and is built in the shell. ``once`` shares a figure
between the panels of one request: a lazy panel's request builds that panel alone (docs/cockpits.md).

The channel manager ranks *their* distributors by attention needed. Each app contributes what it knows about
a distributor through ``register_attention(key, label, count)``; ``count(principal, distributor_ids, today)``
answers ``{distributor_id: n}`` in a fixed number of queries. The network app draws the ranked panel.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from .scoping import frozen_ids

# How many items a panel lists before "see all".
PANEL_LIMIT = 8


@dataclass
class CockpitItem:
    label: str
    url: str
    detail: str = ""
    badge: str = ""
    tone: str = "secondary"  # Bootstrap colour of the badge: danger, warning, success, secondary


@dataclass
class CockpitFigure:
    label: str
    value: str
    url: str = ""
    detail: str = ""
    tone: str = ""


@dataclass
class PanelContent:
    items: list[CockpitItem] = field(default_factory=list)
    figures: list[CockpitFigure] = field(default_factory=list)
    total: int | None = None  # rows in all (when more than the items listed)
    note: str = ""


@dataclass(frozen=True)
class CockpitPanel:
    key: str
    title: str
    build: Callable  # (principal, today) -> PanelContent | list[CockpitItem] | None
    roles: frozenset[str]
    order: int = 100
    more_url_name: str | None = None
    icon: str = "circle"
    empty: str = ""
    lazy: bool = True  # loaded by its own request (a placeholder in the shell); False: built in the shell

    def allowed(self, principal) -> bool:
        return principal.is_authenticated and principal.role in self.roles


_panels: dict[str, CockpitPanel] = {}


def register_cockpit_panel(key, title, build, *, roles, order=100, more_url_name=None, icon="circle", empty="",
                           lazy=True) -> None:
    """Register (or replace, on a second ``ready()``) the panel ``key`` for ``roles``; ``lazy=False`` only for a
    panel measured cheap enough to build in every home request."""
    _panels[key] = CockpitPanel(key, title, build, frozenset(str(r) for r in roles), order, more_url_name, icon, empty,
                                lazy)


def registered_panels() -> list[CockpitPanel]:
    return sorted(_panels.values(), key=lambda p: (p.order, p.key))


def allowed_panel(principal, key: str) -> CockpitPanel | None:
    """The registered panel ``key`` if the principal may see it (else None: the fragment answers 404)."""
    panel = _panels.get(key)
    return panel if panel is not None and panel.allowed(principal) else None


def _slot(panel: CockpitPanel) -> dict:
    """What the shell and the panel's own request share: its key, title, icon and the id of its heading."""
    return {"key": panel.key, "title": panel.title, "icon": panel.icon, "dom_id": "panel-" + panel.key.replace(".", "-")}


def build_panel(panel: CockpitPanel, principal, today: date) -> dict | None:
    """One panel built for the principal (None when it has nothing to say: it is not shown)."""
    content = panel.build(principal, today)
    if content is None:
        return None
    if not isinstance(content, PanelContent):
        content = PanelContent(items=list(content))
    return {
        **_slot(panel),
        "empty": panel.empty,
        "more_url": item_url(panel.more_url_name) if panel.more_url_name else "",
        "items": content.items,
        "figures": content.figures,
        "total": content.total,
        "more_count": (content.total - len(content.items)) if content.total else 0,
        "note": content.note,
    }


def panels_for(principal, today: date | None = None) -> list[dict]:
    """The principal's panels, in order, each built (every panel, lazy or not: the API and the tests' recount)."""
    today = today or timezone.localdate()
    built = (build_panel(panel, principal, today) for panel in registered_panels() if panel.allowed(principal))
    return [panel for panel in built if panel is not None]


def panel_json(panel: CockpitPanel, built: dict | None) -> dict:
    """One built panel as the API answers it (``shown`` False when it has nothing to say): plain strings."""
    def text(value):
        return str(value) if value is not None else ""

    return {
        "key": panel.key, "title": text(panel.title), "shown": built is not None,
        "items": [{f: text(getattr(i, f)) for f in ("label", "url", "detail", "badge", "tone")}
                  for i in (built or {}).get("items", [])],
        "figures": [{f: text(getattr(g, f)) for f in ("label", "value", "url", "detail", "tone")}
                    for g in (built or {}).get("figures", [])],
        "total": (built or {}).get("total"), "more_url": (built or {}).get("more_url", ""),
        "note": text((built or {}).get("note")), "empty": text(panel.empty),
    }


def home_panels(principal, today: date | None = None) -> list[dict]:
    """The home shell's panels, in order: a lazy panel as a placeholder (``lazy_url``: its own request), the others
    built here (and left out when they have nothing to say)."""
    today = today or timezone.localdate()
    shown = []
    for panel in registered_panels():
        if not panel.allowed(principal):
            continue
        if panel.lazy:
            shown.append({**_slot(panel), "lazy_url": item_url("core:home_panel", panel.key)})
        elif (built := build_panel(panel, principal, today)) is not None:
            shown.append(built)
    return shown


_once: contextvars.ContextVar[dict | None] = contextvars.ContextVar("keychannel_cockpit_once", default=None)


@contextmanager
def one_build() -> Iterator[None]:
    """Figures read through :func:`once` inside this block are computed once (one request's cockpit)."""
    token = _once.set({})
    try:
        yield
    finally:
        _once.reset(token)


def once(key: tuple, compute: Callable):
    """``compute()``, kept under ``key`` for the rest of the current :func:`one_build` (outside one: computed)."""
    kept = _once.get()
    if kept is None:
        return compute()
    if key not in kept:
        kept[key] = compute()
    return kept[key]


def once_for(principal, key: str, compute: Callable):
    """:func:`once` for a figure scoped to ``principal`` (a count a home figure and a panel both show): keyed by
    who reads it, so it never serves another principal."""
    return once((key, principal.user_id, str(principal.role), principal.organization_id), compute)


def item_url(name: str, pk=None) -> str:
    """``reverse(name)`` or ``reverse(name, args=[pk])``, each URL pattern reversed once per cockpit
    (core.tables.pk_url): a home links up to 8 rows of each of its panels, and ``reverse()`` per link (about 70 on a
    network cockpit, 45 µs each) was a tenth of its Python."""
    from .tables import pk_url  # (tables imports pagination, which imports this module)

    if pk is None:
        return once(("cockpit.url", name), lambda: reverse(name))
    return once(("cockpit.url", name, "pk"), lambda: pk_url(name))(pk)


def first_rows(queryset, limit: int = PANEL_LIMIT) -> tuple[list, int]:
    """The first ``limit`` rows of a panel and how many match, counted only when one row past the panel says there
    are more (most panels list fewer than eight rows: one statement, not a list and a count)."""
    rows = list(queryset[:limit + 1])
    return rows[:limit], (queryset.count() if len(rows) > limit else len(rows))


def limited(items: list, total: int | None = None) -> PanelContent:
    """A panel of the first PANEL_LIMIT items, with the full count when there are more."""
    total = len(items) if total is None else total
    return PanelContent(items=items[:PANEL_LIMIT], total=total if total > PANEL_LIMIT else None)


def short_date(day) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT") if day else ""


def money(value) -> str:
    """A whole-RON amount with the locale's grouping (12,500 / 12.500)."""
    return formats.number_format(round(value or 0), 0, use_l10n=True, force_grouping=True)


def due_badge(due, today, *, soon_days: int = 7) -> tuple[str, str]:
    """A badge text and tone for a due date: overdue, due today, or in N days."""
    days = (due - today).days
    if days < 0:
        return _("overdue %(days)d d") % {"days": -days}, "danger"
    if days == 0:
        return _("due today"), "danger"
    return _("in %(days)d d") % {"days": days}, "warning" if days <= soon_days else "secondary"


# --- attention per distributor (the channel manager's ranking) -------------------------------------------------


@dataclass(frozen=True)
class AttentionSource:
    key: str
    label: str  # shown as "label: count", e.g. "Goals behind: 2"
    count: Callable  # (principal, distributor_ids, today) -> {distributor_id: int}
    weight: int = 1
    order: int = 100


_attention: dict[str, AttentionSource] = {}


def register_attention(key, label, count, *, weight=1, order=100) -> None:
    _attention[key] = AttentionSource(key, label, count, weight, order)


def attention_for(principal, distributor_ids, today: date) -> dict[int, dict]:
    """{distributor_id: {"score": weighted sum, "reasons": [{"key", "label", "count"}]}} over every source.

    ``distributor_ids`` are active distributors the principal sees (read through ``visible_to``): a source need
    not read them again to check that, only narrow them by what it counts."""
    # An IdSet (core/scoping.py) is passed on as it is: the sources select its ids by the subquery it carries.
    ids = frozen_ids(distributor_ids)
    result = {pk: {"score": 0, "reasons": []} for pk in ids}
    if not ids:
        return result
    for source in sorted(_attention.values(), key=lambda s: (s.order, s.key)):
        for pk, count in source.count(principal, ids, today).items():
            if pk in result and count:
                result[pk]["score"] += count * source.weight
                result[pk]["reasons"].append({"key": source.key, "label": source.label, "count": count})
    return result
