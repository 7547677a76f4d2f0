"""``python -m safehold.server`` is ``safehold-server``."""

from safehold.server.cli import run

run()
