"""Onboarding by invitation, deactivation and the links in e-mails (issue 16).

Nobody gets a password from somebody else: an administrator (or a distributor's head, for its own salespeople)
invites a person by e-mail; the mail carries a one-time link, valid KEYCHANNEL_INVITATION_DAYS, where the person
chooses a password. The link is a token of Django's password-reset machinery (``InvitationTokenGenerator``): it
stops working once the password is set (the hash changes), when the invitation is sent again (a new unusable
password), when the user is deactivated, and when it expires.

Deactivating a user keeps everything they own and did (records, history); it ends their sessions and revokes
their API tokens at once (``token_signals`` revokes the tokens on the ``is_active`` change).
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode
from django.utils.translation import gettext as _

from .assignment import records_refusals, require_placeable
from .choices import DISTRIBUTOR_ROLES, MANUFACTURER_ROLES, OrganizationKind, Role, SecurityEventKind
from .models import Invitation, Membership, Organization
from .policies import require
from .services import _end_sessions, security_event_record

logger = logging.getLogger(__name__)


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """A password-reset token of its own kind: valid KEYCHANNEL_INVITATION_DAYS, dead once the user is deactivated."""

    key_salt = "keychannel.core.onboarding.InvitationTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        return f"{super()._make_hash_value(user, timestamp)}{int(bool(user.is_active))}"

    def check_token(self, user, token):
        if not (user and token):
            return False
        try:
            ts_b36, _hash = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return False
        for secret in [self.secret, *self.secret_fallbacks]:
            if constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token):
                break
        else:
            return False
        return (self._num_seconds(self._now()) - ts) <= invitation_lifetime().total_seconds()


invitation_tokens = InvitationTokenGenerator()


def invitation_lifetime() -> datetime.timedelta:
    return datetime.timedelta(days=settings.KEYCHANNEL_INVITATION_DAYS)


def absolute_url(path: str, request=None) -> str:
    """``path`` as a link for an e-mail: on KEYCHANNEL_SITE_URL when set, else on the request's own address."""
    if settings.KEYCHANNEL_SITE_URL:
        return settings.KEYCHANNEL_SITE_URL + path
    if request is not None:
        return request.build_absolute_uri(path)
    raise ImproperlyConfigured("Set KEYCHANNEL_SITE_URL: an e-mail link is built outside of a request.")


def invitation_link(user, request=None) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    path = reverse("core:invitation_accept", kwargs={"uidb64": uid, "token": invitation_tokens.make_token(user)})
    return absolute_url(path, request)


def _send_invitation(invitation: Invitation, request=None) -> None:
    """Mail the link once the transaction commits (a rolled-back invitation sends nothing)."""
    user = invitation.user
    context = {
        "user": user,
        "organization": invitation.organization.name,
        "role": Role(invitation.role).label,
        "invited_by": (invitation.invited_by.get_full_name() or invitation.invited_by.get_username())
        if invitation.invited_by else "",
        "link": invitation_link(user, request),
        "login": absolute_url(reverse("login"), request),
        "expires_at": invitation.expires_at,
        "username": user.get_username(),
    }
    language = getattr(request, "LANGUAGE_CODE", None) or settings.LANGUAGE_CODE

    def _mail():
        with translation.override(language):
            subject = render_to_string("core/email/invitation_subject.txt", context).strip()
            body = render_to_string("core/email/invitation_email.txt", context)
        try:
            send_mail(subject, body, None, [user.email], fail_silently=False)
        except Exception:  # noqa: BLE001 - the invitation stays; it can be sent again from the people page
            logger.exception("could not e-mail invitation %s", invitation.pk)

    transaction.on_commit(_mail)


def _check_role(organization: Organization, role: str) -> None:
    if role not in Role.values:
        raise ValidationError({"role": _("Choose a role.")})
    if organization.kind == OrganizationKind.MANUFACTURER and role not in MANUFACTURER_ROLES:
        raise ValidationError({"role": _("This role belongs to a distributor, not to the manufacturer.")})
    if organization.kind == OrganizationKind.DISTRIBUTOR and role not in DISTRIBUTOR_ROLES:
        raise ValidationError({"role": _("This role belongs to the manufacturer, not to a distributor.")})
    distributor = getattr(organization, "distributor", None) if organization.kind == OrganizationKind.DISTRIBUTOR else None
    if distributor is not None and not distributor.active:
        raise ValidationError({"organization": _("This distributor is no longer active in the network.")})


@records_refusals
@transaction.atomic
def user_invite(*, principal, organization: Organization, role: str, email: str, first_name: str = "",
                last_name: str = "", title: str = "", request=None) -> Invitation:
    """Create the person's account (no password yet) and membership, and mail them the link to set a password."""
    require(principal, "core.user.invite")
    require_placeable(principal, organization, role)
    email = (email or "").strip().lower()
    first_name, last_name, title = (first_name or "").strip(), (last_name or "").strip(), (title or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid e-mail address.")}) from None
    if len(email) > 150:
        raise ValidationError({"email": _("This e-mail address is too long (150 characters at most).")})
    if not first_name and not last_name:
        raise ValidationError({"last_name": _("Give the person's name.")})
    _check_role(organization, role)
    user_model = get_user_model()
    taken = user_model.objects.filter(email__iexact=email).exists() or user_model.objects.filter(
        username__iexact=email).exists()
    if taken:
        raise ValidationError({"email": _("Somebody with this e-mail address already has an account.")})
    now = timezone.now()
    try:
        with transaction.atomic():
            user = user_model(username=email, email=email, first_name=first_name[:150], last_name=last_name[:150])
            user.set_unusable_password()
            user.save()
    except IntegrityError:  # the same address invited twice at the same moment: one wins
        raise ValidationError({"email": _("Somebody with this e-mail address already has an account.")}) from None
    Membership.objects.create(user=user, organization=organization, role=role, title=title[:120])
    invitation = Invitation.objects.create(
        user=user, organization=organization, role=role, invited_by=principal.user,
        sent_at=now, expires_at=now + invitation_lifetime(),
    )
    security_event_record(kind=SecurityEventKind.USER_INVITED, request=request, principal=principal,
                          action="core.user.invite", detail=f"{email} as {role} of {organization.name}")
    _send_invitation(invitation, request)
    return invitation


def _locked_membership(user) -> Membership:
    return Membership.objects.select_for_update().select_related("user", "organization").get(user=user)


@transaction.atomic
def invitation_resend(*, principal, user, request=None) -> Invitation:
    """Send a new link (the old one stops working) to somebody who has not set a password yet."""
    membership = _locked_membership(user)
    require(principal, "core.user.manage", membership)
    user = membership.user
    if user.has_usable_password():
        raise ValidationError(_("This person has already set a password: they sign in, or use “Forgot your password?”."))
    if not user.is_active:
        raise ValidationError(_("This account is deactivated: reactivate it first."))
    now = timezone.now()
    invitation = Invitation.objects.filter(user=user).first()
    if invitation is None:  # an account made before invitations existed (Django admin, createadmin)
        invitation = Invitation(user=user, organization=membership.organization, role=membership.role, times_sent=0)
    invitation.invited_by = principal.user
    invitation.sent_at, invitation.expires_at = now, now + invitation_lifetime()
    invitation.times_sent += 1
    invitation.save()
    user.set_unusable_password()  # a new unusable value: every earlier link dies
    user.save(update_fields=["password"])
    security_event_record(kind=SecurityEventKind.USER_INVITED, request=request, principal=principal,
                          action="core.user.reinvite", detail=f"{user.email} (sent {invitation.times_sent} times)")
    _send_invitation(invitation, request)
    return invitation


@transaction.atomic
def invitation_accepted(*, user) -> None:
    """The person set their password through the link: the invitation is done (called by the accept page)."""
    invitation = Invitation.objects.select_for_update().filter(user=user, accepted_at__isnull=True).first()
    if invitation is not None:
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at", "updated_at"])


@transaction.atomic
def user_deactivate(*, principal, user, request=None):
    """Nobody can sign in as ``user`` any more; their sessions end and their API tokens are revoked now.

    Everything they own and did stays as it is (deals, tasks, history name them); reactivating gives the access back.
    """
    membership = _locked_membership(user)
    require(principal, "core.user.manage", membership)
    user = membership.user
    if not user.is_active:
        return user
    if settings.SESSION_ENGINE != "django.contrib.sessions.backends.db":
        raise ImproperlyConfigured("user_deactivate needs database-backed sessions")
    user.is_active = False
    user.save(update_fields=["is_active"])  # token_signals revokes every API token
    membership.save(update_fields=["updated_at"])  # the account changed: the users list's updated_since sees it
    sessions = _end_sessions(user)
    security_event_record(kind=SecurityEventKind.USER_DEACTIVATED, request=request, principal=principal,
                          action="core.user.deactivate",
                          detail=f"{user.get_username()} ({membership.role}, {membership.organization.name}); "
                                 f"{sessions} session(s) ended")
    return user


@transaction.atomic
def user_reactivate(*, principal, user, request=None):
    membership = _locked_membership(user)
    require(principal, "core.user.manage", membership)
    user = membership.user
    if user.is_active:
        return user
    _check_role(membership.organization, membership.role)  # not into a distributor that left the network
    user.is_active = True
    user.save(update_fields=["is_active"])
    membership.save(update_fields=["updated_at"])
    security_event_record(kind=SecurityEventKind.USER_REACTIVATED, request=request, principal=principal,
                          action="core.user.reactivate",
                          detail=f"{user.get_username()} ({membership.role}, {membership.organization.name})")
    return user


def user_status(user) -> str:
    """"active", "invited" (no password yet), "expired" (invited, link too old) or "deactivated"."""
    if not user.is_active:
        return "deactivated"
    if user.has_usable_password():
        return "active"
    invitation = getattr(user, "invitation", None)
    if invitation is not None and invitation.expires_at <= timezone.now():
        return "expired"
    return "invited"
