"""The ``eduplus`` command: Django's management commands under the project's name.

``eduplus migrate``, ``eduplus seed --scale small``, ``eduplus schools import FILE``…
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eduplus.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["eduplus", *sys.argv[1:]])


if __name__ == "__main__":
    main()
