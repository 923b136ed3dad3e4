"""Shared test configuration: Hypothesis profiles (after numpy's conftest.py)."""

import os

from hypothesis import HealthCheck, settings

# deadline=None: numerical examples vary in cost and a slow machine must not fail a property.
settings.register_profile(
    "dev", deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow]
)
# CI: derandomized so a red run is reproducible from its log alone.
settings.register_profile(
    "ci",
    deadline=None,
    max_examples=100,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
