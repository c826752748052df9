"""``python -m influence_sim``: the same as the ``influence-sim`` command."""

from influence_sim.cli import run

run()
