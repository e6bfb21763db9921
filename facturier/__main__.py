"""The `facturier` command of an installed package: manage.py's commands without the checkout.

`facturier migrate`, `facturier run_worker`, `facturier check --deploy`... (also `python -m facturier`).
Unlike manage.py it never assumes a development checkout: DEBUG keeps its production default, so the
settings refuse to start without a SECRET_KEY.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "facturier.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["facturier", *sys.argv[1:]])


if __name__ == "__main__":
    main()
