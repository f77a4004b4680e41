"""`keychannel createadmin`: the first administrator of a new installation, ready to use the application.

Unlike Django's createsuperuser it also gives the account its place: the administrator role in the
manufacturer organisation (created, named --organization, when the database has none yet).
"""

import getpass
import os
import sys

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from keychannel.core.services import DEFAULT_MANUFACTURER_NAME, administrator_membership_ensure

PASSWORD_ENV = "KEYCHANNEL_ADMIN_PASSWORD"


class Command(BaseCommand):
    stealth_options = ("stdin",)  # tests (and scripts calling call_command) hand in their own stdin
    help = (
        "Create an administrator: a superuser with the administrator role in the manufacturer organisation "
        f"(created if missing). Asks for what is not given; the password comes from --password-stdin, "
        f"${PASSWORD_ENV} or a prompt."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username")
        parser.add_argument("--email", default=None)
        parser.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
        parser.add_argument("--organization", default="", help=f"name of the manufacturer if it has to be created "
                                                               f"(default: {DEFAULT_MANUFACTURER_NAME!r})")
        parser.add_argument("--no-input", "--noinput", action="store_false", dest="interactive",
                            help="never prompt: fail when something is missing")

    def handle(self, *args, username, email, password_stdin, organization, interactive, **options):
        self.stdin = options.get("stdin", sys.stdin)
        User = get_user_model()
        username = (username or self._ask("Username: ", interactive, "--username")).strip()
        if not username:
            raise CommandError("A username is required.")
        if User.objects.filter(username=username).exists():
            raise CommandError(f"A user named {username!r} already exists.")
        if email is None:
            email = self._ask("E-mail (for password resets): ", interactive, "--email", required=False)
        password = self._password(password_stdin, interactive)
        user = User(username=username, email=(email or "").strip(), is_staff=True, is_superuser=True)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        with transaction.atomic():
            user.set_password(password)
            user.save()
            membership = administrator_membership_ensure(user=user, organization_name=organization)
        self.stdout.write(self.style.SUCCESS(
            f"Administrator {username!r} created in {membership.organization.name!r}. Log in at /login/."
        ))

    def _ask(self, prompt, interactive, option, required=True):
        if not interactive or not self.stdin.isatty():
            if required:
                raise CommandError(f"Give {option} (no terminal to ask on).")
            return ""
        return input(prompt)

    def _password(self, from_stdin, interactive):
        if from_stdin:
            password = self.stdin.readline().rstrip("\r\n")
        elif os.environ.get(PASSWORD_ENV):
            password = os.environ[PASSWORD_ENV]
        elif interactive and self.stdin.isatty():
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The two passwords differ.")
        else:
            raise CommandError(f"Give the password with --password-stdin or ${PASSWORD_ENV}.")
        if not password:
            raise CommandError("The password may not be empty.")
        return password
