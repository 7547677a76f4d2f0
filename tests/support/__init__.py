"""Helpers shared by the test suites: a real server in a subprocess, and a small SRP
test client driven by ``safehold.crypto``."""
