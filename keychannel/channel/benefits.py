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
