"""The ``keychannel`` console script: Django's manage.py with the project's own commands (demo, serve, ...).

Django command names cannot contain dashes, so ``keychannel import-sales`` runs the ``import_sales`` command.
"""

import os
import sys


def main(argv=None):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keychannel.settings")
    from django.core.management import execute_from_command_line

    args = list(argv if argv is not None else sys.argv[1:])
    if args and not args[0].startswith("-"):
        args[0] = args[0].replace("-", "_")
    execute_from_command_line(["keychannel", *args])


if __name__ == "__main__":
    main()
