"""Product-test sign-off (docs/rules.md, "Product-test sign-off").

A test is passed only when every client stakeholder named to sign it off (at least one) is recorded as approving
and, where the channel policy asks, a manufacturer role other than the deal's owner has signed it off. Each
approval is a ``ProductTestSignoff`` row (who, recorded by whom, when; with history). A deal whose product test is
pending or failed is won only with a manufacturer role's override and its reason (``opportunity_move``).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keychannel.core.policies import require

from . import gate
from .choices import SignoffKind, TestResult
from .models import Opportunity, ProductTest, ProductTestSignoff

POLICY_SETTING = "product_test_needs_manufacturer_signoff"


def needs_manufacturer_signoff() -> bool:
    return bool(gate.policy_setting(POLICY_SETTING, True))


def pass_blockers(product_test: ProductTest, *, signers=None, owner_id=None, needs_signoff=None) -> list[str]:
    """Why this test cannot be passed now (empty: it can). ``signers``: the stakeholders named to sign it off
    after the write (default: the stored ones); ``needs_signoff``: the policy's answer when the caller read it
    (a deal page's tests read it once)."""
    signers = list(product_test.signoff_stakeholders.all()) if signers is None else list(signers)
    owner_id = product_test.opportunity.owner_id if owner_id is None else owner_id
    rows = list(product_test.signoffs.all()) if product_test.pk else []
    approved = {r.stakeholder_id for r in rows if r.kind == SignoffKind.STAKEHOLDER}
    found = []
    if not signers:
        found.append(_("Name the client's stakeholder(s) who sign the result off."))
    missing = [s.full_name for s in signers if s.pk not in approved]
    if missing:
        found.append(_("Not yet approved by the client's %(names)s.") % {"names": ", ".join(missing)})
    if needs_signoff is None:
        needs_signoff = needs_manufacturer_signoff()
    if needs_signoff and not any(
        r.kind == SignoffKind.MANUFACTURER and r.signed_by_id != owner_id for r in rows
    ):
        found.append(_("The channel policy asks for a manufacturer sign-off by someone other than the deal's owner."))
    return found


def win_blockers(opportunity: Opportunity) -> str:
    """The product-test reason a deal cannot be won (empty: none): a test pending, or none passed."""
    tests = list(opportunity.product_tests.all())
    pending = [t.title for t in tests if t.result == TestResult.PENDING]
    if pending:
        return _("Product test still pending: %(names)s.") % {"names": ", ".join(pending)}
    if tests and not any(t.result == TestResult.PASSED for t in tests):
        return _("No product test passed: run one that passes before winning.")
    return ""


def _open_test(principal, product_test: ProductTest) -> ProductTest:
    test = ProductTest.objects.select_for_update().select_related("opportunity").get(pk=product_test.pk)
    if test.contract_id is not None:
        raise ValidationError(_("This test led to a contract: its record is closed."))
    if test.result != TestResult.PENDING:
        raise ValidationError(_("The result is already recorded: set the test back to pending to record approvals."))
    return test


@transaction.atomic
def approval_record(*, principal, product_test: ProductTest, stakeholder, note: str = "") -> ProductTestSignoff:
    """Record that a client stakeholder named on the test approved its result (again: the first record stands)."""
    require(principal, "deals.opportunity.change", product_test.opportunity)
    test = _open_test(principal, product_test)
    if stakeholder is None or not test.signoff_stakeholders.filter(pk=stakeholder.pk).exists():
        raise ValidationError({"stakeholder": _("Choose a stakeholder named to sign this test off.")})
    row, _created = ProductTestSignoff.objects.get_or_create(
        product_test=test, kind=SignoffKind.STAKEHOLDER, stakeholder=stakeholder,
        defaults={"note": (note or "").strip()[:500], "recorded_by": principal.user, "recorded_at": timezone.now()},
    )
    return row


@transaction.atomic
def manufacturer_signoff(*, principal, product_test: ProductTest, note: str = "") -> ProductTestSignoff:
    """The principal's own sign-off as the manufacturer (never the deal's owner: one does not sign one's own deal)."""
    require(principal, "deals.producttest.signoff", product_test.opportunity)
    test = _open_test(principal, product_test)
    if test.opportunity.owner_id == principal.user_id:
        raise ValidationError({"signed_by": _("The deal's owner cannot sign off its product test: ask another "
                                              "manufacturer role.")})
    row, _created = ProductTestSignoff.objects.get_or_create(
        product_test=test, kind=SignoffKind.MANUFACTURER, signed_by=principal.user,
        defaults={"note": (note or "").strip()[:500], "recorded_by": principal.user, "recorded_at": timezone.now()},
    )
    return row


def deals_violating_signoff() -> list[int]:
    """Won deals whose product tests say they should not have been won (no passed test with its approvals, and no
    override). The demo and its test use it: every path is supposed to make this empty."""
    bad = []
    won = Opportunity.objects.filter(stage="won", product_tests__isnull=False, test_override_at__isnull=True).distinct()
    for deal in won.prefetch_related("product_tests__signoffs", "product_tests__signoff_stakeholders"):
        tests = list(deal.product_tests.all())
        passed = [t for t in tests if t.result == TestResult.PASSED and not t.legacy_signoff_note]
        if any(t.result == TestResult.PENDING for t in tests) or not any(
                not pass_blockers(t, owner_id=deal.owner_id) for t in passed):
            bad.append(deal.pk)
    return bad
