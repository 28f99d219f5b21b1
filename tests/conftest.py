"""Suite-wide settings: the tests are deterministic (hypothesis derandomised, no deadlines on a shared machine),
and never touch the real per-user pseudonymisation key file."""
from __future__ import annotations

import secrets

import pytest
from hypothesis import HealthCheck, settings

from surveys.ingest.pseudonym_key import KEY_FILE_VARIABLE, save_key

settings.register_profile(
    "surveys",
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("surveys")


@pytest.fixture(scope="session", autouse=True)
def key_file(tmp_path_factory):
    """Every store of the test run (and of the commands and notebooks it starts, which inherit the environment)
    uses one key file in a temporary folder, made before the first test: never the user's own key file."""
    path = tmp_path_factory.mktemp("keys") / "pseudonym.key"
    save_key(path, secrets.token_bytes(32))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(KEY_FILE_VARIABLE, str(path))
        yield path
