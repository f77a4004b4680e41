"""What the demo generators share: one seeded random source, one Faker, and the records made so far."""

import random
from dataclasses import dataclass, field

from faker import Faker

SEED = 2026


@dataclass
class DemoContext:
    password: str
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))
    faker: Faker = field(default_factory=lambda: _faker())
    users: dict = field(default_factory=dict)  # username -> User
    data: dict = field(default_factory=dict)  # shared between generators (e.g. "distributors")
    logins: list = field(default_factory=list)  # (username, role, organisation)

    def sub_rng(self, name: str) -> random.Random:
        """A stream per generator, so adding one generator does not reshuffle the others' data."""
        return random.Random(f"{SEED}:{name}")


def _faker() -> Faker:
    fake = Faker("ro_RO")
    fake.seed_instance(SEED)
    return fake
