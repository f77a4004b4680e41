import signal
import sys
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from keychannel.service import mailin


class Command(BaseCommand):
    help = ("Receive e-mail to the clients' service addresses (KEYCHANNEL_MAILIN_ADDRESS): serve SMTP (or LMTP with "
            "--lmtp) on --bind for an MTA to relay to, or read one RFC 822 message on standard input with --stdin "
            "(an MTA pipe; the exit status follows sysexits). docs/operations.md, \"Cases by e-mail\".")

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=settings.KEYCHANNEL_MAILIN_BIND, help="host:port to listen on")
        parser.add_argument("--lmtp", action="store_true", help="speak LMTP instead of SMTP")
        parser.add_argument("--stdin", action="store_true", help="deliver one message read from standard input")
        parser.add_argument("--recipient", default="", help="with --stdin: the envelope recipient (Postfix ${recipient})")
        parser.add_argument("--sender", default="", help="with --stdin: the envelope sender (Postfix ${sender})")

    def handle(self, *args, **options):
        if not mailin.configured():
            raise CommandError("Set KEYCHANNEL_MAILIN_ADDRESS (e.g. cases@service.example) to receive cases by e-mail.")
        if options["stdin"]:
            if not options["recipient"]:
                raise CommandError("--stdin needs --recipient (the address the message was sent to).")
            outcome = mailin.receive(options["recipient"], sys.stdin.buffer.read(), options["sender"])
            (self.stdout if outcome.accepted else self.stderr).write(outcome.smtp)
            sys.exit(outcome.exit_status)
        from keychannel.service.mailserver import CaseMailController

        host, _sep, port = options["bind"].rpartition(":")
        if not host or not port.isdigit():
            raise CommandError("--bind takes host:port, e.g. 127.0.0.1:8025")
        controller = CaseMailController(host, int(port), lmtp=options["lmtp"])
        controller.start()
        self.stdout.write(f"mail-in: {'LMTP' if options['lmtp'] else 'SMTP'} on {host}:{port} for "
                          f"{settings.KEYCHANNEL_MAILIN_ADDRESS}", ending="\n")
        self.stdout.flush()
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        stop.wait()
        controller.stop()
