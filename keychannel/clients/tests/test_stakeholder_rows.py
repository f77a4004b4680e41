"""The buying centre's rows (clients/buying_centre.stakeholder_row_html, issue 22): drawn in Python, they are what
the row template drew with Django's tags (kept below as it was), in every case the row has, in English and Romanian,
for an editor and a reader; and the client page draws no template per person."""

import datetime
import re

import pytest
from django.template import RequestContext, Template
from django.test import RequestFactory
from django.utils import translation

from keychannel.clients.buying_centre import buying_centre_context
from keychannel.clients.tests.factories import ClientFactory, ContactFactory, StakeholderFactory
from keychannel.core.scoping import Principal

pytestmark = pytest.mark.django_db

# clients/_stakeholder_row.html before issue 22's rows in Python
OLD_ROW = r"""{% load i18n %}{# Its links and level options come from clients.buying_centre.buying_centre_context (built once per page). #}<tr id="stakeholder-{{ s.pk }}" class="{% if s.is_external %}table-secondary{% endif %}">
  <td><strong>{{ s.full_name }}</strong>{% if s.is_external %} <span class="badge text-bg-secondary">{% translate "external" %}</span>{% endif %}
    <div class="small text-secondary">{{ s.job_title }}{% if s.external_organization %} · {{ s.external_organization }}{% endif %}</div>
    {% if s.personal_interests or s.company_interests %}<div class="small"><span class="text-secondary">{% translate "interests:" %}</span> {{ s.personal_interests|truncatechars:60 }}{% if s.personal_interests and s.company_interests %} / {% endif %}{{ s.company_interests|truncatechars:60 }}</div>{% endif %}</td>
  <td class="small">{{ s.get_level_display }}</td>
  <td class="small">{{ s.reports_to.full_name|default:"—" }}</td>
  <td class="small">{% for code, role in s.buying_role_items %}<span class="badge {% if code == "opponent" %}text-bg-danger{% else %}text-bg-light border{% endif %}">{{ role }}</span> {% endfor %}</td>
  <td>{{ s.influence }}</td>
  <td><span class="badge {% if s.attitude < 0 %}text-bg-danger{% elif s.attitude > 0 %}text-bg-success{% else %}text-bg-secondary{% endif %}">{% if s.attitude > 0 %}+{% endif %}{{ s.attitude }}</span></td>
  <td class="small">{% for c in s.contacts.all %}<div class="d-flex align-items-center gap-1">{{ c.user.get_full_name|default:c.user.username }} <span class="text-secondary">({{ c.get_current_level_display }} → {{ c.get_desired_level_display }})</span>
      {% if can_edit_stakeholders %}<form method="post" action="{{ c.delete_url }}" hx-post="{{ c.delete_url }}" hx-target="#buying-centre" hx-swap="outerHTML" class="d-inline">{% csrf_token %}<button class="btn btn-link btn-sm p-0 text-danger" type="submit" title="{% translate 'Remove' %}"><i class="bi bi-x"></i></button></form>{% endif %}</div>
    {% empty %}<span class="text-danger">{% translate "nobody" %}</span>{% endfor %}
    {% if can_edit_stakeholders %}<details><summary class="small text-primary">{% translate "add" %}</summary>
      <form method="post" action="{{ s.contact_add_url }}" hx-post="{{ s.contact_add_url }}" hx-target="#buying-centre" hx-swap="outerHTML" class="d-grid gap-1 mt-1">{% csrf_token %}
        <select name="user" class="form-select form-select-sm" aria-label="{% translate 'Our person' %}" required>{{ our_people_options }}</select>
        <select name="current_level" class="form-select form-select-sm" aria-label="{% translate 'Now' %}">{{ now_options }}</select>
        <select name="desired_level" class="form-select form-select-sm" aria-label="{% translate 'Wanted' %}">{{ wanted_options }}</select>
        <button class="btn btn-sm btn-outline-primary" type="submit">{% translate "Add" %}</button>
      </form></details>{% endif %}</td>
  <td class="small text-nowrap">{{ s.last_contact_on|date:"SHORT_DATE_FORMAT"|default:"—" }}</td>
  <td class="text-nowrap">{% if can_edit_stakeholders %}
    <button class="btn btn-sm btn-outline-secondary" hx-get="{{ s.edit_url }}" hx-target="closest tr" hx-swap="outerHTML" title="{% translate 'Edit' %}"><i class="bi bi-pencil"></i></button>
    <form method="post" action="{{ s.delete_url }}" hx-post="{{ s.delete_url }}" hx-target="#buying-centre" hx-swap="outerHTML" hx-confirm="{% translate 'Remove this person from the buying centre?' %}" class="d-inline">{% csrf_token %}
      <button class="btn btn-sm btn-outline-danger" type="submit" title="{% translate 'Delete' %}"><i class="bi bi-trash"></i></button></form>
    {% endif %}<a class="btn btn-sm btn-link" href="{{ s.history_url }}" title="{% translate 'History' %}"><i class="bi bi-clock-history"></i></a></td>
</tr>
"""


def _people(world):
    client = ClientFactory(distributor=world.own, is_key_account=True)
    boss = StakeholderFactory(client=client, level="executive", full_name='Ada "<Boss>" & Co', attitude=2,
                              buying_roles=["decision_maker", "opponent"], last_contact_on=datetime.date(2026, 3, 9),
                              personal_interests="Ştefan's <b>" + "x" * 70, company_interests="")
    StakeholderFactory(client=client, reports_to=boss, attitude=-2, is_external=True, external_organization="A & B",
                       job_title="Ţurcanu <CEO>", company_interests="growth & margins " * 6, personal_interests="golf")
    StakeholderFactory(client=client, reports_to=boss, attitude=0, job_title="", company_interests="only company")
    ContactFactory(stakeholder=boss, user=world.user("dist_head"))
    ContactFactory(stakeholder=boss, user=world.user("dist_sales"), current_level="trusted", desired_level="advocate")
    return client


@pytest.mark.parametrize("language", ["en", "ro"])
@pytest.mark.parametrize("who", ["dist_head", "executive"])
def test_each_row_is_what_the_template_drew(world, language, who):
    client = _people(world)
    user = world.user(who)
    request = RequestFactory().get("/")
    request.user = user
    with translation.override(language):
        context = RequestContext(request, buying_centre_context(Principal.for_user(user), client))
        assert context.get("can_edit_stakeholders") is (who == "dist_head")
        before, now = Template(OLD_ROW), Template("{% load buying_centre_rows %}{% stakeholder_row s %}")
        for s in context["stakeholders"]:
            with context.push(s=s):
                drawn = now.render(context)
                assert _masked(drawn) == _masked(before.render(context))
                assert ('name="csrfmiddlewaretoken"' in drawn) is (who == "dist_head")


def _masked(html: str) -> str:
    """The CSRF token is masked anew for each render."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value=""', html)
