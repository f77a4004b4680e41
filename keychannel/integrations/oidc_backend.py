"""mozilla-django-oidc's authentication backend with keychannel's rules (docs/sso.md). Imported only when single
sign-on is configured and someone signs in through it (``sso.KeychannelOIDCBackend``): the library pulls in PyJWT,
cryptography and requests, which no other request of a worker needs."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from keychannel.core.models import Membership

from .sso import _username, placement_for

logger = logging.getLogger("keychannel.integrations.sso")


class OIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend with keychannel's rules: a mapped role is required, users are matched by their
    verified e-mail, created just in time with their membership, and their role follows the provider's claims."""

    def _refuse(self, message: str) -> bool:
        if getattr(self, "request", None) is not None:
            self.request.sso_refusal = message
        return False

    def verify_claims(self, claims):
        if not claims.get("email") or claims.get("email_verified") is False:
            return self._refuse(_("Your identity provider did not give a verified e-mail address."))
        if placement_for(claims) is None:
            return self._refuse(_("Your company account has no role in keychannel. Ask your administrator to add "
                                  "you to a keychannel group."))
        return True

    def filter_users_by_claims(self, claims):
        return self.UserModel.objects.filter(email__iexact=claims["email"])

    def create_user(self, claims):
        placement = placement_for(claims)
        with transaction.atomic():
            user = self.UserModel.objects.create_user(
                _username(claims), email=claims["email"], first_name=(claims.get("given_name") or "")[:150],
                last_name=(claims.get("family_name") or "")[:150])
            user.set_unusable_password()
            user.save(update_fields=["password"])
            Membership.objects.create(user=user, organization=placement.organization, role=placement.role)
        logger.info("SSO: created %s as %s of %s", user.username, placement.role, placement.organization)
        return user

    def update_user(self, user, claims):
        """The provider is the source of truth: the membership follows the claims at each sign-in."""
        if not user.is_active:
            return user
        placement = placement_for(claims)
        membership = Membership.objects.filter(user=user).first()
        if membership is None:
            Membership.objects.create(user=user, organization=placement.organization, role=placement.role)
        elif (membership.role, membership.organization_id) != (placement.role, placement.organization.pk):
            membership.role, membership.organization = placement.role, placement.organization
            membership._change_reason = "single sign-on claims"
            membership.save()
        return user
