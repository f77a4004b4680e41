from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from keychannel.clients.services import clients_refresh_analysis


class Command(BaseCommand):
    help = "Recompute the stored buying-centre analysis (coverage score, risk flags) of every mapped client."

    def handle(self, *args, **options):
        count = clients_refresh_analysis()
        self.stdout.write(_("%(count)s clients analysed.") % {"count": count})
