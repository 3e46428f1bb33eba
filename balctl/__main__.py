"""`python -m balctl` runs the same entry point as the console script."""

from balctl.cli import main

main()
