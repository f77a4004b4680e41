"""The ``keychannel`` console script: Django's manage.py with the project's own commands (demo, serve, ...)."""

import os
import sys


def main(argv=None):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keychannel.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["keychannel", *(argv if argv is not None else sys.argv[1:])])


if __name__ == "__main__":
    main()
