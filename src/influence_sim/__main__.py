"""``python -m influence_sim``: the same as the ``influence-sim`` command."""

import sys

from influence_sim.cli import main

sys.exit(main())
