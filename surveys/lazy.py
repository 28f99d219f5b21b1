"""Package namespaces that load on first use.

A package's ``__init__`` names its public API as ``{name: defining module}``; :func:`exports` returns the
module-level ``__getattr__``, ``__dir__`` and ``__all__`` (PEP 562) that import a name's module only when the
name is first asked for. So importing one module of a package loads that module and its own imports, not
its siblings, and ``import surveys`` or ``surveys --help`` load no scipy, matplotlib or openpyxl.
"""
from __future__ import annotations

import importlib
from typing import Any, Callable, Mapping

__all__ = ["exports"]


def exports(package: str, names: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """(``__getattr__``, ``__dir__``, ``__all__``) of ``package`` exporting ``names`` (name → module)."""
    namespace = importlib.import_module(package).__dict__

    def getattr_(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def dir_() -> list[str]:
        return sorted(set(namespace) | set(names))

    return getattr_, dir_, list(names)
