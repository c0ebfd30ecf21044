"""``python -m cobalamin``: the command line."""

from cobalamin.cli.app import main

main()
