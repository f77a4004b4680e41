import datetime

from django.utils import timezone

from keychannel.deals.tests.factories import ClientFactory
from keychannel.service import services


def open_case(world, side="own", *, title="Pump leaks", now=None, **extra):
    """A case opened by the manufacturer's program manager for a client of distributor ``side``."""
    client = extra.pop("client", None) or ClientFactory(distributor=world.distributor(side), territory=world.territory)
    fields = {"description": "Seal leaks at the flange.", "case_type": "incident", "priority": "normal",
              "contact_name": "Ana Client", "contact_email": "ana@client.example", **extra}
    return services.case_open(principal=world.principal("program_manager"), client=client, title=title,
                              now=now or timezone.now() - datetime.timedelta(minutes=5), **fields)
