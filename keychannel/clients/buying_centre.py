"""The client page's buying centre (also redrawn alone after each of its edits): its rows read by what the page shows
of them, its row links and repeated selects built once per page, not per row (issue 22)."""

from django.core.signals import setting_changed
from django.db.models import Exists, OuterRef, Prefetch
from django.template.defaultfilters import truncatechars
from django.template.defaulttags import CsrfTokenNode
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from keychannel.core.policies import can
from keychannel.core.scoping import USER_NAME_COLUMNS, get_visible_or_404, own_and_related_columns
from keychannel.core.tables import pk_url, select_options
from keychannel.core.templatetags.kc_format import format_date

from . import selectors
from .choices import RelationshipLevel
from .forms import ContactForm, LinkForm
from .models import ClientMerge, CorporateClient, Stakeholder, StakeholderContact, StakeholderLink


def _row_links(stakeholders, editable: bool) -> None:
    """Each stakeholder row's links (and its contacts' remove links), from URL patterns reversed once: six
    ``{% url %}`` per row were a fifth of the client page's template (issue 22)."""
    # (The local names are not the views' names: tests/rules_walk.py resolves a call by its name, and a call of
    # ``contact_add(...)`` here would read as this page calling that view.)
    history_of = pk_url("core:history", "clients", "stakeholder")
    edit_of, delete_of, add_contact_of = (pk_url(f"clients:{name}") for name in (
        "stakeholder_edit", "stakeholder_delete", "contact_add"))
    remove_contact_of = pk_url("clients:contact_delete")
    for s in stakeholders:
        s.history_url = history_of(s.pk)
        if editable:
            s.edit_url, s.delete_url, s.contact_add_url = edit_of(s.pk), delete_of(s.pk), add_contact_of(s.pk)
            for contact in s.contacts.all():
                contact.delete_url = remove_contact_of(contact.pk)


_LINK_FIELDS: dict[str, tuple[str, str, str]] = {}
_NO_PERSON = '<option value="" selected>---------</option>\n'


def _link_fields(client, people) -> str:
    """The "link two people" form's fields (``clients/_link_fields.html``) as they draw an unbound ``LinkForm`` whose
    two selects offer ``people``: the fields drawn once per language with nobody to offer, and each person's option
    (as Django's ``select_option.html`` writes it) joined into both selects (issue 22: two option templates per
    person and select, each with its attributes' include, were a tenth of the client page)."""
    language = get_language()
    parts = _LINK_FIELDS.get(language)
    if parts is None:
        html = render_to_string("clients/_link_fields.html", {"link_form": LinkForm(client=client, people=[])})
        first = html.index(_NO_PERSON) + len(_NO_PERSON)
        second = html.index(_NO_PERSON, first) + len(_NO_PERSON)
        parts = _LINK_FIELDS[language] = (html[:first], html[first:second], html[second:])
    options = "".join(f'\n  <option value="{person.pk}">{escape(str(person))}</option>\n' for person in people)
    return mark_safe(options.join(parts))  # noqa: S308 - the fields as Django drew them, each name escaped


def _forget_link_fields(**kwargs) -> None:
    _LINK_FIELDS.clear()
    _ROW_TEXTS.clear()


setting_changed.connect(_forget_link_fields)


_ROW_TEXTS: dict[str, dict] = {}


def _row_texts() -> dict:
    """The rows' words, escaped, once per language (cleared with the link fields on a setting change)."""
    language = get_language()
    texts = _ROW_TEXTS.get(language)
    if texts is None:
        texts = _ROW_TEXTS[language] = {key: escape(text) for key, text in _row_words().items()}
    return texts


def _row_words() -> dict:
    return {"external": _("external"), "interests": _("interests:"), "remove": _("Remove"), "nobody": _("nobody"),
            "add": _("add"), "our_person": _("Our person"), "now": _("Now"), "wanted": _("Wanted"), "add_button": _("Add"),
            "edit": _("Edit"), "confirm": _("Remove this person from the buying centre?"), "delete": _("Delete"),
            "history": _("History")}


def stakeholder_row_html(s, context) -> str:
    """A stakeholder's row of the buying centre, as ``clients/_stakeholder_row.html`` drew it with Django's template
    tags (issue 22: about 2,500 calls a row, half the client page's template; this is some 150). Values are escaped
    as the template's autoescaping did; the row's links and the repeated selects come from
    :func:`buying_centre_context`, the CSRF field from Django's own ``{% csrf_token %}`` node."""
    t = _row_texts()
    editable = context.get("can_edit_stakeholders")
    csrf = CsrfTokenNode().render(context) if editable else ""
    out = [f'<tr id="stakeholder-{s.pk}" class="{"table-secondary" if s.is_external else ""}">\n'
           f'  <td><strong>{escape(s.full_name)}</strong>'
           + (f' <span class="badge text-bg-secondary">{t["external"]}</span>' if s.is_external else "")
           + f'\n    <div class="small text-secondary">{escape(s.job_title)}'
           + (f" · {escape(s.external_organization)}" if s.external_organization else "") + "</div>\n    "]
    personal, company = s.personal_interests, s.company_interests
    if personal or company:
        out.append(f'<div class="small"><span class="text-secondary">{t["interests"]}</span> '
                   f'{escape(truncatechars(personal, 60))}{" / " if personal and company else ""}'
                   f'{escape(truncatechars(company, 60))}</div>')
    manager = s.reports_to.full_name if s.reports_to is not None else ""
    out.append(f'</td>\n  <td class="small">{escape(s.get_level_display())}</td>\n'
               f'  <td class="small">{escape(manager or "—")}</td>\n  <td class="small">')
    out += [f'<span class="badge {"text-bg-danger" if code == "opponent" else "text-bg-light border"}">'
            f'{escape(role)}</span> ' for code, role in s.buying_role_items()]
    attitude = s.attitude
    badge = "text-bg-danger" if attitude < 0 else "text-bg-success" if attitude > 0 else "text-bg-secondary"
    out.append(f'</td>\n  <td>{s.influence}</td>\n  <td><span class="badge {badge}">{"+" if attitude > 0 else ""}'
               f'{attitude}</span></td>\n  <td class="small">')
    contacts = s.contacts.all()
    for c in contacts:
        out.append(f'<div class="d-flex align-items-center gap-1">'
                   f'{escape(c.user.get_full_name() or c.user.username)} <span class="text-secondary">'
                   f'({escape(c.get_current_level_display())} → {escape(c.get_desired_level_display())})</span>\n      ')
        if editable:
            out.append(f'<form method="post" action="{escape(c.delete_url)}" hx-post="{escape(c.delete_url)}" '
                       f'hx-target="#buying-centre" hx-swap="outerHTML" class="d-inline">{csrf}<button class="btn '
                       f'btn-link btn-sm p-0 text-danger" type="submit" title="{t["remove"]}"><i class="bi bi-x"></i>'
                       f'</button></form>')
        out.append("</div>\n    ")
    if not contacts:
        out.append(f'<span class="text-danger">{t["nobody"]}</span>')
    out.append("\n    ")
    if editable:
        add = escape(s.contact_add_url)
        out.append(
            f'<details><summary class="small text-primary">{t["add"]}</summary>\n'
            f'      <form method="post" action="{add}" hx-post="{add}" hx-target="#buying-centre" hx-swap="outerHTML" '
            f'class="d-grid gap-1 mt-1">{csrf}\n'
            f'        <select name="user" class="form-select form-select-sm" aria-label="{t["our_person"]}" required>'
            f'{context.get("our_people_options")}</select>\n'
            f'        <select name="current_level" class="form-select form-select-sm" aria-label="{t["now"]}">'
            f'{context.get("now_options")}</select>\n'
            f'        <select name="desired_level" class="form-select form-select-sm" aria-label="{t["wanted"]}">'
            f'{context.get("wanted_options")}</select>\n'
            f'        <button class="btn btn-sm btn-outline-primary" type="submit">{t["add_button"]}</button>\n'
            f'      </form></details>')
    last = format_date(s.last_contact_on, "SHORT_DATE_FORMAT") if s.last_contact_on else ""
    out.append(f'</td>\n  <td class="small text-nowrap">{escape(last or "—")}</td>\n  <td class="text-nowrap">')
    if editable:
        delete = escape(s.delete_url)
        out.append(
            f'\n    <button class="btn btn-sm btn-outline-secondary" hx-get="{escape(s.edit_url)}" hx-target="closest tr" '
            f'hx-swap="outerHTML" title="{t["edit"]}"><i class="bi bi-pencil"></i></button>\n'
            f'    <form method="post" action="{delete}" hx-post="{delete}" hx-target="#buying-centre" '
            f'hx-swap="outerHTML" hx-confirm="{t["confirm"]}" class="d-inline">{csrf}\n'
            f'      <button class="btn btn-sm btn-outline-danger" type="submit" title="{t["delete"]}"><i class="bi '
            f'bi-trash"></i></button></form>\n    ')
    out.append(f'<a class="btn btn-sm btn-link" href="{escape(s.history_url)}" title="{t["history"]}">'
               f'<i class="bi bi-clock-history"></i></a></td>\n</tr>\n')
    return mark_safe("".join(out))  # noqa: S308 - every value escaped above, as the template's autoescaping did


def _level_options(word, chosen):
    return select_options(((value, f"{word}: {label}") for value, label in RelationshipLevel.choices), chosen)


def _buying_centre_rows(principal, client):
    """The stakeholders (with their contacts) and the links of the buying centre, with the names of the people
    they point to, not their whole rows: each stakeholder's manager, each contact's user and each link's two
    people were read with every column (a user's password among them), compiled and built for a name (issue 22)."""
    contacts = StakeholderContact.objects.select_related("user").only(
        *own_and_related_columns(StakeholderContact, user=USER_NAME_COLUMNS))
    stakeholders = (selectors.stakeholder_list(principal=principal, client=client)
                    .only(*own_and_related_columns(Stakeholder, reports_to=("id", "full_name")))
                    .prefetch_related(None).prefetch_related(Prefetch("contacts", queryset=contacts)))
    name = ("id", "full_name")
    links = selectors.stakeholder_links(principal=principal, client=client).only(
        *own_and_related_columns(StakeholderLink, source=name, target=name))
    return list(stakeholders), list(links)


def buying_centre_context(principal, client):
    stakeholders, links = _buying_centre_rows(principal, client)
    analysis = selectors.buying_centre_analysis(client=client, stakeholders=stakeholders)
    editable = can(principal, "clients.stakeholder.change", client)
    people = list(selectors.our_people_for(client).only(*USER_NAME_COLUMNS)) if editable else []
    # The forms' three selects list the client's stakeholders by name: the ones just read (issue 22; the client is
    # visible, so all of its stakeholders are, in the same order).
    by_name = stakeholders if editable else []
    _row_links(stakeholders, editable)
    return {
        "our_people": people,
        # each row's "our person" select: its options joined once, not a template loop per row
        "our_people_options": select_options((u.pk, u.get_full_name() or u.username) for u in people),
        "client": client,
        "stakeholders": stakeholders,
        "links": links,
        "analysis": analysis,
        "chart": selectors.org_chart(client=client, stakeholders=stakeholders, links=links),
        "can_edit_stakeholders": editable,
        # the "Add a person" form is drawn when its section is opened (stakeholder_new_form): its fourteen widgets
        # were a fifth of the client page (issue 22); a refused one comes back bound (stakeholder_create)
        "stakeholder_form": None,
        "contact_form": ContactForm(people=selectors.our_people_for(client)) if editable else None,
        # each row's "add a contact" selects of levels: the same options on every row, joined once
        "now_options": _level_options(_("now"), RelationshipLevel.ACQUAINTED) if editable else "",
        "wanted_options": _level_options(_("wanted"), RelationshipLevel.TRUSTED) if editable else "",
        "link_fields": _link_fields(client, by_name) if editable and len(by_name) > 1 else "",
    }


# The client page's joined rows, by what it shows of them (issue 22: the distributor's, territory's and creator's
# every column, a password among them, were compiled and set for a name).
CLIENT_PAGE_COLUMNS = own_and_related_columns(
    CorporateClient, distributor=("id", "code", "legal_name", "organization_id"), territory=("id", "name"),
    created_by=USER_NAME_COLUMNS)


def client_page_get(*, principal, pk):
    """The client of its page: ``selectors.client_get``'s relations, by the columns the page shows, and whether
    any duplicate was ever merged into it (``has_merges``: most clients have none, and their merge history was a
    statement of its own on every client page; issue 22)."""
    merged = ClientMerge.objects.filter(survivor=OuterRef("pk"))
    return get_visible_or_404(CorporateClient.objects.select_related("distributor", "territory", "created_by")
                              .only(*CLIENT_PAGE_COLUMNS).annotate(has_merges=Exists(merged)), principal, pk=pk)
