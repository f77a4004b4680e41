"""A small network every cross-cutting test can stand on: one manufacturer, two distributors, one user per role.

"own" is distributor A: the distributor users work there, the channel manager manages it, the mentor mentors
it and the KAM is stationed there (as soon as the competence app provides those links). "other" is
distributor B, which none of them reaches except the network-wide roles.
"""

from dataclasses import dataclass, field

from keychannel.core.choices import Role
from keychannel.core.scoping import Principal
from keychannel.core.tests.factories import OrganizationFactory, make_user, manufacturer
from keychannel.network.tests.factories import DistributorFactory, ProductLineFactory, TerritoryFactory

ROLES = [str(r) for r in Role]
ANONYMOUS = "anonymous"


@dataclass
class World:
    manufacturer: object
    own: object
    other: object
    territory: object
    product_line: object
    users: dict = field(default_factory=dict)
    other_users: dict = field(default_factory=dict)
    cache: dict = field(default_factory=dict)  # per-test objects made by access cases

    def distributor(self, side: str):
        return {"own": self.own, "other": self.other}[side]

    def user(self, role: str):
        return self.users[role]

    def principal(self, role: str) -> Principal:
        return Principal.for_user(self.users[role])

    def once(self, key, make):
        """Make an object at most once per test (several cases in one test share it)."""
        if key not in self.cache:
            self.cache[key] = make()
        return self.cache[key]


def build_world() -> World:
    maker = manufacturer()
    territory = TerritoryFactory(name="Cluj", code="cluj")
    product_line = ProductLineFactory(name="Compressors", code="compressors")
    own = DistributorFactory(code="da", legal_name="Alfa Distribuție SRL", territory=territory,
                             organization=OrganizationFactory(name="Alfa Distribuție SRL"))
    other = DistributorFactory(code="db", legal_name="Beta Industrial SA", territory=territory,
                               organization=OrganizationFactory(name="Beta Industrial SA"))
    own.product_lines.add(product_line)
    other.product_lines.add(product_line)
    world = World(manufacturer=maker, own=own, other=other, territory=territory, product_line=product_line)
    for role in (Role.ADMIN, Role.PROGRAM_MANAGER, Role.EXECUTIVE, Role.CHANNEL_MANAGER, Role.MENTOR, Role.EMBEDDED_KAM):
        world.users[str(role)] = make_user(role, maker, username=f"w-{role}", is_staff=role == Role.ADMIN,
                                           is_superuser=role == Role.ADMIN)
    world.users[str(Role.DIST_HEAD)] = make_user(Role.DIST_HEAD, own.organization, username="w-da-head")
    world.users[str(Role.DIST_SALES)] = make_user(Role.DIST_SALES, own.organization, username="w-da-sales")
    world.other_users[str(Role.DIST_HEAD)] = make_user(Role.DIST_HEAD, other.organization, username="w-db-head")
    world.other_users[str(Role.DIST_SALES)] = make_user(Role.DIST_SALES, other.organization, username="w-db-sales")
    own.channel_manager = world.users[str(Role.CHANNEL_MANAGER)]
    own.save()
    for hook in WORLD_HOOKS:
        hook(world)
    return world


# Apps that add reach (mentorships, KAM stations) register a hook that links the world's users to "own".
WORLD_HOOKS: list = []
