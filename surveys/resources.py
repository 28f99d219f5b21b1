"""Where the bundled instruments and study specs live, in a checkout or an installed wheel."""
from __future__ import annotations

import importlib.util
import pathlib

__all__ = ["questionnaire_dir", "bundled_questionnaires", "analysis_dir"]


_CHECKOUT = pathlib.Path(__file__).resolve().parent.parent


def _package_path(package: str, checkout_folder: str) -> pathlib.Path:
    # In a checkout (tests, editable installs, `python -m surveys` from the repository) the data folders
    # sit beside the package; an installed wheel carries them as the packages named here.
    in_checkout = _CHECKOUT / checkout_folder
    if (_CHECKOUT / "pyproject.toml").is_file() and in_checkout.is_dir():
        return in_checkout
    # The data folders carry no __init__.py (they are data, not code), so in a wheel they are namespace
    # packages: their spec's search locations name the folder.
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"the bundled data package {package!r} is missing from this installation")
    return pathlib.Path(next(iter(spec.submodule_search_locations)))


def questionnaire_dir() -> pathlib.Path:
    """The folder of the bundled questionnaire definitions (``questionnaires/`` in the repository)."""
    return _package_path("surveys.questionnaires", "questionnaires")


def bundled_questionnaires() -> list[pathlib.Path]:
    """Every bundled questionnaire definition, sorted by file name."""
    return sorted(questionnaire_dir().glob("*.yaml"))


def analysis_dir() -> pathlib.Path:
    """The folder of the bundled study specs (``analysis/`` in the repository)."""
    return _package_path("surveys.analysis", "analysis")
