"""Benefits other apps grant to a distributor's registrations, without channel importing them.

The program reads channel, so channel cannot read the program's levels: the program registers a provider at
startup (``ProgramConfig.ready``), the way domain apps register reach providers in core.scoping.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from . import conf

# (distributor id, date) -> protection days the distributor is entitled to, or None when it has no say.
ProtectionProvider = Callable[[int, datetime.date], "int | None"]
_protection_providers: list[ProtectionProvider] = []


def register_protection_days(provider: ProtectionProvider) -> None:
    if provider not in _protection_providers:
        _protection_providers.append(provider)


def protection_days_for(distributor_id: int | None, on_date: datetime.date) -> int:
    """The registration protection period of a distributor: the first provider's answer, else the channel default."""
    if distributor_id is not None:
        for provider in _protection_providers:
            days = provider(distributor_id, on_date)
            if days:
                return int(days)
    return conf.protection_days()


# (distributor id, product line ids, date) -> messages naming each restriction that forbids registering those lines.
# Program rules restrict distributors (docs/rules.md "Restrictions take effect"); channel only asks, it never reads them.
RestrictionProvider = Callable[[int, list[int], datetime.date], list[str]]
_restriction_providers: list[RestrictionProvider] = []


def register_registration_restriction(provider: RestrictionProvider) -> None:
    if provider not in _restriction_providers:
        _restriction_providers.append(provider)


def registration_restrictions(distributor_id: int | None, product_line_ids, on_date: datetime.date) -> list[str]:
    """Why ``distributor_id`` may not register these product lines on ``on_date`` (empty: it may)."""
    if distributor_id is None:
        return []
    messages: list[str] = []
    for provider in _restriction_providers:
        messages.extend(provider(distributor_id, list(product_line_ids), on_date))
    return messages
