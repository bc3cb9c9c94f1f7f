"""`python -m gobinopt` runs the command-line interface."""

from gobinopt.cli import main

main()
