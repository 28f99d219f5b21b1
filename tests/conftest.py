"""Suite-wide settings: the tests are deterministic (hypothesis derandomised, no deadlines on a shared machine)."""
from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile(
    "surveys",
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("surveys")
