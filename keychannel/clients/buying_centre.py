"""The client page's buying centre (also redrawn alone after each of its edits): its rows read by what the page shows
of them, its row links and repeated selects built once per page, not per row (issue 22)."""

from django.core.signals import setting_changed
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from keychannel.core.policies import can
from keychannel.core.scoping import USER_NAME_COLUMNS, get_visible_or_404, own_and_related_columns
from keychannel.core.tables import pk_url, select_options

from . import selectors
from .choices import RelationshipLevel
from .forms import ContactForm, LinkForm
from .models import CorporateClient, Stakeholder, StakeholderContact, StakeholderLink


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


setting_changed.connect(_forget_link_fields)


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
    """The client of its page: ``selectors.client_get``'s relations, by the columns the page shows."""
    return get_visible_or_404(CorporateClient.objects.select_related("distributor", "territory", "created_by")
                              .only(*CLIENT_PAGE_COLUMNS), principal, pk=pk)
