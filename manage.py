#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "facturier.settings")
    # A development checkout runs the README's commands as written: without a SECRET_KEY in the
    # environment, DEBUG defaults to true (a key is then generated under var/). A server sets SECRET_KEY
    # (docs/deployment.md), so DEBUG keeps its production default there, and the web processes
    # (wsgi.py) never read this default: without a SECRET_KEY they still refuse to start.
    if not os.environ.get("SECRET_KEY", "").strip():
        os.environ.setdefault("DEBUG", "true")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
