"""Fetchers: each platform form is a module that registers itself under its `--platform` name.

Every module in this package is imported on first use, so adding a platform means adding a
module with a `@register`-ed Fetcher subclass; nothing else changes.
"""
from __future__ import annotations

import importlib
import pkgutil

from .base import FETCHERS, FetchContext, Fetcher, register

__all__ = ["FETCHERS", "FetchContext", "Fetcher", "register", "get_fetcher", "platform_names"]

_loaded = False


def _load_all() -> None:
    global _loaded
    if not _loaded:
        for module in pkgutil.iter_modules(__path__):
            if not module.name.startswith("_") and module.name != "base":
                importlib.import_module(f"{__name__}.{module.name}")
        _loaded = True


def platform_names() -> list[str]:
    _load_all()
    return sorted(FETCHERS)


def get_fetcher(name: str) -> type[Fetcher]:
    """The fetcher registered as `name`: its module is found by the name first (revue-api is
    revue_api.py), so a run imports one platform's module, not every platform's."""
    from ..errors import UserError, did_you_mean

    if name not in FETCHERS and isinstance(name, str) and name.replace("-", "_").isidentifier():
        try:
            importlib.import_module(f"{__name__}.{name.replace('-', '_')}")
        except ModuleNotFoundError:
            pass
    if name not in FETCHERS:
        _load_all()
    try:
        return FETCHERS[name]
    except KeyError:
        # A platform's name alone ("substack") names its forms' common prefix.
        forms = sorted(form for form in FETCHERS if form.startswith(f"{name.lower()}-"))
        hint = (f"did you mean {' or '.join(f'`{form}`' for form in forms)}?" if forms else did_you_mean(name, FETCHERS))
        raise UserError(f"Unknown platform {name!r}{f' ({hint})' if hint else ''}; use one of: {', '.join(sorted(FETCHERS))}.") from None
