"""``keychannel import-sales FILE --distributor CODE [--period YYYY-MM] [--mapping NAME] [--supersede] [--as USER]``."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from keychannel.core.errors import ConflictError
from keychannel.core.scoping import Principal


class Command(BaseCommand):
    help = "Import one distributor sales report (CSV or XLSX). It applies whole or not at all."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--distributor", required=True, help="Distributor code, e.g. d01")
        parser.add_argument("--period", default="", help="YYYY-MM (default: the month most rows fall in)")
        parser.add_argument("--mapping", default="", help="Name of a saved column mapping of the distributor")
        parser.add_argument("--supersede", action="store_true", help="Replace the report already applied for the month")
        parser.add_argument("--as", dest="username", default="",
                            help="Act as this user (default: the first active administrator)")
        parser.add_argument("--errors", default="", help="Write the row errors to this CSV file")

    def handle(self, *args, **options):
        from keychannel.network.models import Distributor
        from keychannel.sales import selectors, services
        from keychannel.sales.choices import ReportSource, ReportStatus

        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        User = get_user_model()
        if options["username"]:
            user = User.objects.filter(username=options["username"], is_active=True).first()
        else:
            user = User.objects.filter(is_active=True, membership__role="admin").order_by("pk").first()
        if user is None:
            raise CommandError("No such active user (use --as USERNAME).")
        principal = Principal.for_user(user)
        distributor = Distributor.objects.visible_to(principal).filter(code=options["distributor"].lower()).first()
        if distributor is None:
            raise CommandError(f"No distributor {options['distributor']!r} visible to {user.username}.")
        try:
            services.check_upload_size(path.stat().st_size)  # before reading it into memory
            report = services.report_import(
                principal=principal, distributor=distributor, data=path.read_bytes(), file_name=path.name,
                period=options["period"] or None, mapping_name=options["mapping"], supersede=options["supersede"],
                source=ReportSource.COMMAND,
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        except ConflictError as exc:
            raise CommandError(exc.message) from None
        except PermissionDenied:
            raise CommandError(f"{user.username} may not upload reports for {distributor.code}.") from None
        self.stdout.write(f"report {report.pk}: {report.status} · period {report.period_label or '—'} · "
                          f"{report.row_count} rows · {report.line_count} lines · {report.error_count} errors")
        if report.message:
            self.stdout.write(report.message)
        for error in (report.errors or [])[:50]:
            self.stdout.write(f"  row {error['row']}, {error['column']}: {error['message']} [{error['value']}]")
        if options["errors"] and report.errors:
            with open(options["errors"], "w", encoding="utf-8", newline="") as handle:
                for chunk in selectors.csv_rows(selectors.ERROR_EXPORT_HEADER, selectors.report_error_rows(report)):
                    handle.write(chunk)
        if report.status not in (ReportStatus.APPLIED, ReportStatus.DUPLICATE):
            raise CommandError(f"not imported ({report.get_status_display()})")
