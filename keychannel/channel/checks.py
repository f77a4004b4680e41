"""The automatic checks of a registration: what can fail, and the reason each failure shows.

A failure is stored on the registration as ``{"kind", "code", "lines"}`` (product line names) and never names
the other distributor: a registrant learns that a rule stopped them, not whose client it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

MESSAGES = {
    "registered_by_other": _("Another distributor already holds an active registration for this client."),
    # Neither says who serves the client (another distributor or the manufacturer): the conflict's parties tell
    # the program office, and the registrant learns only that the client exists in the network.
    "owned_by_other": _("This client is already served in the network."),
    "similar_to_other": _("A client with a very similar name is already served in the network."),
    "similar_to_direct": _("A client with a very similar name is already served in the network."),
    "territory_unknown": _("The client's territory is not known, so coverage cannot be confirmed."),
    "territory_not_covered": _("Your coverage does not include the client's territory for: %(lines)s."),
    "outside_agreement": _("These product lines are outside your agreement: %(lines)s."),
}


@dataclass
class CheckFailure:
    kind: str
    code: str
    lines: list = field(default_factory=list)
    other: object = None  # the other distributor (never shown to the registrant)
    other_registration: object = None

    def as_dict(self) -> dict:
        return {"kind": str(self.kind), "code": self.code, "lines": [str(line.name) for line in self.lines]}


def describe(check: dict) -> str:
    template = MESSAGES.get(check.get("code"), _("A rule check failed."))
    return str(template) % {"lines": ", ".join(check.get("lines") or [])} if "%(lines)s" in str(template) else str(template)


def describe_checks(checks: list[dict]) -> list[str]:
    return [describe(c) for c in checks or []]
