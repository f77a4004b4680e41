"""Signed links for the client's contact: a client's public case form and one case's page (reply and rating).

A token carries the record's id and its nonce, signed with the installation's secret key (a database copy alone does
not give the links); rotating the nonce revokes every link of that record.
"""

from __future__ import annotations

from django.core import signing
from django.urls import reverse

from .models import IntakeLink, ServiceCase

_CASE_SALT = "keychannel.service.case"
_LINK_SALT = "keychannel.service.intake"


def case_token(case: ServiceCase) -> str:
    return signing.dumps({"c": case.pk, "n": case.public_nonce}, salt=_CASE_SALT, compress=True)


def case_for_token(token: str) -> ServiceCase | None:
    try:
        data = signing.loads(token or "", salt=_CASE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    return ServiceCase.objects.select_related("client", "tier").filter(pk=data.get("c"), public_nonce=data.get("n")).first()


def case_public_url(case: ServiceCase) -> str:
    return reverse("service:case_public", args=[case_token(case)])


def intake_token(link: IntakeLink) -> str:
    return signing.dumps({"l": link.pk, "n": link.nonce}, salt=_LINK_SALT, compress=True)


def intake_for_token(token: str) -> IntakeLink | None:
    try:
        data = signing.loads(token or "", salt=_LINK_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    return IntakeLink.objects.select_related("client").filter(pk=data.get("l"), nonce=data.get("n"), active=True).first()


def intake_public_url(link: IntakeLink) -> str:
    return reverse("service:intake_public", args=[intake_token(link)])
