"""The `runxin` command: Django's management commands under the product's name."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "runxin.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv)
    # `runxin import-roster` reads better than `runxin import_roster`; accept both.
    if len(argv) > 1 and "-" in argv[1] and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    argv[0] = "runxin"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
