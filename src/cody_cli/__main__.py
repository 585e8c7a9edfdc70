"""`python -m cody_cli` is the cody command."""

from cody_cli.app import main

main()
