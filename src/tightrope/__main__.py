"""`python -m tightrope` runs the command line."""

from tightrope.cli import main

main()
