"""Who may see and retry background work: the program office (admin, program manager)."""

from keychannel.core.policies import is_network_admin, rule


@rule("jobs.manage")
def _manage(principal, obj=None) -> bool:
    return is_network_admin(principal)
