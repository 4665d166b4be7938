"""``python -m ledgerlens`` runs the command line."""

from ledgerlens.cli import main

main()
