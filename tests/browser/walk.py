"""The page walk of issue 18 ("Done means"): which pages, as whom, and what counts as a problem on one.

Every GET page the access matrix knows is opened once, as the narrowest role that may open it (a distributor's
salesperson before its head, a channel manager before the program office: the roles with the fewest rights see
the most "cannot do this" states), with the objects the access cases make for the "own" side; and every role's
home page, since each role has its own cockpit. Downloads and fragments (CSV, iCalendar, files, HTMX panels) are
not pages and are listed with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import polib
from django.conf import settings
from django.urls import reverse

from tests.access import ANONYMOUS, ROLES, expected_status, load_routes

# Narrowest first: the first role the access matrix lets open a page is the one that opens it in the walk.
ROLE_PREFERENCE = ["dist_sales", "dist_head", "embedded_kam", "mentor", "channel_manager", "executive",
                   "program_manager", "admin", ANONYMOUS]
assert set(ROLE_PREFERENCE) == {*ROLES, ANONYMOUS}

# Routes that answer something other than a page: (name, why).
NOT_PAGES = {
    "deals:forecast_export": "CSV download",
    "program:statement_csv": "CSV download",
    "program:scorecard_csv": "CSV download",
    "sales:line_export": "CSV download",
    "sales:report_sample": "sample file download",
    "sales:report_errors": "CSV download of a report's row problems",
    "program:calendar_feed": "iCalendar feed",
    "program:resource_file": "file download",
    "program:support_proof": "file download",
    "service:message_attachment": "file download",
    "clients:duplicate_check": "HTMX fragment (the possible duplicates under the client form, walked there)",
    "clients:stakeholder_row": "HTMX fragment (a row of the client page's buying centre, walked there)",
    "clients:stakeholder_edit": "HTMX fragment (the inline edit form of a buying-centre row)",
    "clients:account_plan_item_edit": "HTMX fragment (the inline edit form of an account-plan item)",
    "clients:stakeholder_new_form": "HTMX fragment (the 'Add a person' form, loaded when the client page opens it)",
    "service:client_panel": "HTMX panel of the client page (walked there)",
    "service:distributor_panel": "HTMX panel of the distributor page (walked there)",
    "service:segment_panel": "HTMX panel of the segments page (walked there)",
    "sales:segment_charts": "HTMX fragment (the segments page's charts, loaded on that page)",
    "core:home_panel": "HTMX fragment (a home page panel, loaded and walked on each role's home page)",
    "core:home_figures": "HTMX fragment (the home page's figures, loaded and walked on each role's home page)",
    "deals:pipeline_column": "HTMX fragment (a kanban column's next cards, loaded on the pipeline page)",
    "core:choose": "HTMX fragment (a form chooser's suggestions, options of its datalist, loaded as the user types)",
    "oidc_authentication_init": "redirects to the identity provider (404 when SSO is off)",
    "oidc_authentication_callback": "the identity provider's return address",
}


@dataclass(frozen=True)
class Stop:
    name: str
    role: str
    url: str


def plan(world) -> list[Stop]:
    """The pages to open, with the role that opens each: every GET page once, then each role's home page."""
    stops = []
    for route in load_routes():
        if route.api or route.method != "GET" or route.name in NOT_PAGES:
            continue
        side = route.sides[0]
        role = next((r for r in ROLE_PREFERENCE if expected_status(route, r, side) == 200), None)
        if role is None:
            raise AssertionError(f"{route.name}: no role opens it; list it in NOT_PAGES with the reason")
        params = route.params(world, side) if route.params else None
        stops.append(Stop(route.name, role, reverse(route.name, kwargs=params or None)))
    home = reverse("core:home")
    stops += [Stop("core:home", role, home) for role in ROLES if not any(
        s.url == home and s.role == role for s in stops)]
    return stops


# ---- untranslated text ------------------------------------------------------------------------------------

# Text the Romanian page shows as it is because it is the same word in Romanian, or a name, not a sentence of ours.
ALLOWED_ENGLISH = {
    "English": "the language switcher names each language in its own language",
    "Note": "Romanian too: the plural of «notă», the label of a notes field («notes» → «note», capitalised)",
}

_PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdfir]")


@cache
def english_msgids() -> tuple[frozenset[str], tuple[re.Pattern, ...]]:
    """The Romanian catalog's msgids whose translation differs from them: exact strings, and patterns for the
    ones with placeholders (literal text of at least two words, so "%(n)s %%" does not match every number)."""
    path = Path(settings.LOCALE_PATHS[0]) / "ro" / "LC_MESSAGES" / "django.po"
    exact, patterns = set(), []
    for entry in polib.pofile(str(path)):
        if entry.obsolete or entry.fuzzy:
            continue
        forms = [entry.msgid, entry.msgid_plural] if entry.msgid_plural else [entry.msgid]
        translations = set(entry.msgstr_plural.values()) if entry.msgid_plural else {entry.msgstr}
        for msgid in forms:
            if not msgid or msgid in translations or msgid in ALLOWED_ENGLISH or "<" in msgid:
                continue
            if "%" in msgid:
                literal = _PLACEHOLDER.sub(" ", msgid)
                if len(re.findall(r"[A-Za-z]{2,}", literal)) < 2:
                    continue
                parts = _PLACEHOLDER.split(msgid)
                patterns.append(re.compile(r"\s*" + r".+?".join(re.escape(p.replace("%%", "%")) for p in parts) + r"\s*"))
            elif re.search(r"[A-Za-z]{2,}", msgid):
                exact.add(" ".join(msgid.split()))
    return frozenset(exact), tuple(patterns)


def rename_english_data(objects, _seen=None) -> None:
    """Objects the access cases name with one English word that is also a msgid (a questionnaire "Draft", a
    resource "Playbook") are data, not interface text: give them a name that is not, so the check reads the
    interface only. Follows the access cases' holders (dicts, lists, the program's lazy ``ProgramData``)."""
    from django.db.models import Model

    exact, _patterns = english_msgids()
    seen = set() if _seen is None else _seen
    for obj in objects:
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, dict):
            rename_english_data(obj.values(), seen)
        elif isinstance(obj, list | tuple | set):
            rename_english_data(obj, seen)
        elif isinstance(obj, Model):
            for field in ("title", "name"):
                if getattr(obj, field, None) in exact:
                    type(obj)._base_manager.filter(pk=obj.pk).update(**{field: f"{getattr(obj, field)} 2026"})
        elif type(obj).__module__.startswith("keychannel.") and hasattr(obj, "__dict__"):
            rename_english_data(vars(obj).values(), seen)


def untranslated(texts: list[list[str]]) -> list[str]:
    """The texts (each with where it is on the page) that are an English msgid with a Romanian translation."""
    exact, patterns = english_msgids()
    found = []
    for text, where in texts:
        text = " ".join(text.split())
        bare = text.rstrip(":*").strip()
        if text in exact or bare in exact or any(p.fullmatch(text) for p in patterns):
            found.append(f"{text!r} in {where}")
    return sorted(set(found))


# Every text node a user sees, and the text of attributes read out or shown (placeholders, labels, titles).
VISIBLE_TEXT_JS = """() => {
  const out = [];
  const where = (el) => {
    const parts = [];
    for (let e = el; e && e !== document.body && parts.length < 3; e = e.parentElement) {
      parts.unshift(e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.classList.length ? "." + [...e.classList].slice(0, 2).join(".") : ""));
    }
    return parts.join(" > ");
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    const parent = node.parentElement;
    if (!text || !parent || parent.closest("script, style, template, noscript")) continue;
    if (parent.tagName === "OPTION" || parent.checkVisibility()) out.push([text, where(parent)]);
  }
  for (const el of document.querySelectorAll("[placeholder], [aria-label], [title], img[alt], input[type=submit][value]")) {
    for (const attr of ["placeholder", "aria-label", "title", "alt", "value"]) {
      if (attr === "value" && el.type !== "submit") continue;
      const value = el.getAttribute(attr);
      if (value && value.trim()) out.push([value.trim(), where(el) + "@" + attr]);
    }
  }
  out.push([document.title, "title"]);
  return out;
}"""


# ---- accessibility -----------------------------------------------------------------------------------------

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"

# axe-core's default rule set (WCAG 2.0/2.1 A and AA plus best practices); the walk fails on these impacts.
AXE_RUN_JS = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.filter(v => v.impact === "serious" || v.impact === "critical").map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + (n.failureSummary ? " — " + n.failureSummary.split("\\n").slice(1, 2).join("") : "")),
    count: v.nodes.length,
  }));
}"""


@cache
def axe_source() -> str:
    return AXE.read_text()
