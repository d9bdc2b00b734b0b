"""`python -m explorer.lab ...` = `python -m explorer ablate ...`."""
import sys

from explorer.lab.cli import main

sys.exit(main(sys.argv[1:]))
