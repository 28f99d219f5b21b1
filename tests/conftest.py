"""Suite-wide settings: the tests are deterministic (hypothesis derandomised, no deadlines on a shared machine),
never touch the real per-user pseudonymisation key file, draw with matplotlib's Agg backend (no display), and
share one generated demo city (``demo_city``: the default seed at sample scale 0.15), generated once per run.
Tests must not change the shared city's files: those that do work on a copy (``hostile_input.copy_city``)."""
from __future__ import annotations

import os
import secrets

# before anything imports matplotlib (the commands and notebooks the tests start inherit it too)
os.environ["MPLBACKEND"] = "Agg"

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


DEMO_SCALE = 0.15


@pytest.fixture(scope="session")
def demo_city(tmp_path_factory):
    """The demo city's exports at sample scale 0.15 (default seed), generated once for the whole run; its
    :class:`~surveys.demo.DemoManifest` (``out_dir`` is the folder). Read it; never write into it."""
    from surveys.demo import generate_demo

    return generate_demo(tmp_path_factory.mktemp("demo_city") / "city", sample_scale=DEMO_SCALE)


# The expensive cases, in one place: `python -m pytest -m "not slow"` leaves them out (CI runs everything). A test
# is slow when it uses one of these module fixtures (the demo city at full size, a whole `surveys demo` with
# charts and report), lives in one of these modules (notebooks run in kernels), or is named here.
SLOW_FIXTURES = {"test_indicators.py": "demo", "test_report_from_study.py": "demo_run"}
SLOW_MODULES = ("test_notebooks.py",)
SLOW_TESTS = ("test_at_the_default_sample_sizes_the_four_survey_indicators_land_in_four_verdicts",)


def pytest_collection_modifyitems(config, items):
    for item in items:
        module = item.path.name
        fixture = SLOW_FIXTURES.get(module)
        if module in SLOW_MODULES or item.originalname in SLOW_TESTS or (
                fixture is not None and fixture in getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
