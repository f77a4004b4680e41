"""Issue 16: a network starts from the product alone, on a fresh database, without anybody opening the Django admin.

The administrator adds a distributor and invites its head; the head sets a password from the e-mail and invites a
salesperson; the salesperson sets a password, signs in and registers a deal.
"""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from keychannel.channel.models import DealRegistration
from keychannel.core.choices import Role
from keychannel.core.models import Invitation, Membership
from keychannel.core.services import administrator_membership_ensure
from keychannel.network.models import Distributor, ProductLine, Territory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LINK = re.compile(r"(https?://\S+/invitation/[^/\s]+/[^/\s]+/)")


def _invitation_link(to: str) -> str:
    sent = [m for m in mail.outbox if m.to == [to]]
    assert len(sent) == 1, [m.to for m in mail.outbox]
    return LINK.search(sent[0].body).group(1)


def _set_password(page, link, password):
    page.goto(link)
    page.fill("#id_new_password1", password)
    page.fill("#id_new_password2", password)
    page.click("#set-password")
    page.wait_for_selector("#id_username")  # the sign-in page, with "your password is set"
    assert "password is set" in page.content()


def _sign_in(page, url, username, password):
    page.goto(f"{url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_selector("#main-nav")


def test_a_network_starts_from_invitations(browser, page, live_server, settings, screenshot):
    settings.KEYCHANNEL_SITE_URL = live_server.url
    url = live_server.url
    # The first start: one administrator (``keychannel createadmin``) and the reference data it finds.
    admin = get_user_model().objects.create_user("admin@maker.example", "admin@maker.example", "Admin-secret-42")
    administrator_membership_ensure(user=admin, organization_name="Maker SA")
    Territory.objects.create(name="Cluj", code="cluj", level="county")
    ProductLine.objects.create(name="Compressors", code="compressors")

    _sign_in(page, url, "admin@maker.example", "Admin-secret-42")
    page.click("#main-nav >> text=Distributors")
    page.click("#distributor-create")
    page.fill("#id_code", "nord")
    page.fill("#id_legal_name", "Nord Distribuție SRL")
    page.fill("#id_tax_id", "RO123456")
    page.select_option("#id_territory", label="Cluj")
    page.check("input[name=product_lines]")
    page.click("main form button[type=submit]")
    page.wait_for_selector("#distributor-name")
    assert page.locator("#distributor-name").inner_text() == "Nord Distribuție SRL"
    distributor = Distributor.objects.get(code="nord")

    page.click("#invite-person")
    assert page.locator("#id_role").input_value() == "dist_head"
    page.fill("#id_first_name", "Dana")
    page.fill("#id_last_name", "Nistor")
    page.fill("#id_email", "dana@nord.example")
    page.fill("#id_title", "Director general")
    page.click("#invite-form button[type=submit]")
    page.wait_for_selector("#people-table tr[data-user='dana@nord.example'] [data-status=invited]")
    screenshot("onboarding-admin-invited-head")

    # The head, in a browser of its own, follows the link from the mail.
    head_context = browser.new_context()
    head = head_context.new_page()
    _set_password(head, _invitation_link("dana@nord.example"), "Dana-secret-42")
    _sign_in(head, url, "dana@nord.example", "Dana-secret-42")
    head.click("#main-nav >> text=People")
    head.click("#invite-link")
    assert head.locator("#id_role option").count() == 1  # a head invites salespeople only
    head.fill("#id_first_name", "Sorin")
    head.fill("#id_last_name", "Vlad")
    head.fill("#id_email", "sorin@nord.example")
    head.click("#invite-form button[type=submit]")
    head.wait_for_selector("#people-table tr[data-user='sorin@nord.example'] [data-status=invited]")
    assert head.locator("#people-table tbody tr").count() == 2  # only its own company's people
    membership = Membership.objects.get(user__email="sorin@nord.example")
    assert (membership.organization_id, membership.role) == (distributor.organization_id, Role.DIST_SALES)
    assert Invitation.objects.get(user=membership.user).invited_by.email == "dana@nord.example"

    sales_context = browser.new_context()
    sales = sales_context.new_page()
    _set_password(sales, _invitation_link("sorin@nord.example"), "Sorin-secret-42")
    _sign_in(sales, url, "sorin@nord.example", "Sorin-secret-42")
    sales.goto(f"{url}/channel/registrations/new/")
    sales.fill("#id_legal_name", "Fabrica de Ciment Turda SA")
    sales.fill("#id_tax_id", "RO765432")
    sales.select_option("#id_territory", label="Cluj")
    sales.fill("#id_title", "Compressors for the new kiln")
    sales.check("input[name=product_lines]")
    sales.fill("#id_estimated_value", "250000")
    sales.fill("#id_expected_close_on", "2031-06-30")
    sales.click("main form button[type=submit]")
    sales.wait_for_url(re.compile(r"/channel/registrations/\d+/$"))
    registration = DealRegistration.objects.get()
    assert registration.registered_by.email == "sorin@nord.example" and registration.distributor == distributor
    screenshot("onboarding-salesperson-registered")

    # The administrator deactivates the salesperson: the open browser session ends at once.
    page.goto(f"{url}/people/?q=sorin")
    page.click("button[data-deactivate='sorin@nord.example']")
    page.wait_for_selector("#people-table [data-status=deactivated]")
    sales.goto(f"{url}/channel/registrations/")
    sales.wait_for_selector("#id_username")
    head_context.close()
    sales_context.close()
