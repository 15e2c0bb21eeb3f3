"""The registry of source kinds: code → connector class.

Built-in kinds are registered like any other: their modules are listed in :data:`BUILTIN` and imported
on first use, each decorating its class with :func:`register`. Adding a kind is one module plus one
line in :data:`BUILTIN`. Kinds that are never polled (``import``, ``sample``, ``outlet``) are not
connectors; they are listed in :data:`kiemchung.models.NON_POLLED_KINDS`.
"""

from __future__ import annotations

import importlib
import threading

from kiemchung.errors import ConfigError
from kiemchung.sources.connectors.base import Connector

#: Modules holding the built-in connectors, in the order kinds are listed.
BUILTIN = (
    "kiemchung.sources.connectors.feed",
    "kiemchung.sources.connectors.web",
    "kiemchung.sources.connectors.sitemap",
    "kiemchung.sources.connectors.jsonfeed",
    "kiemchung.sources.connectors.youtube",
    "kiemchung.sources.connectors.telegram",
    "kiemchung.sources.connectors.claimreview",
)

_registry: dict[str, type[Connector]] = {}
_loaded = False
_lock = threading.RLock()


def register(cls: type[Connector]) -> type[Connector]:
    """Class decorator: make ``cls`` the connector of ``cls.kind`` (one class per kind)."""
    kind = cls.kind
    if not kind or not kind.isascii() or not kind.replace("_", "").isalnum() or kind != kind.lower() or len(kind) > 20:
        raise ValueError(f"connector kind must be a short lowercase code: {kind!r}")
    if not (cls.label_vi and cls.label_en):
        raise ValueError(f"connector {kind!r} needs label_vi and label_en")
    with _lock:
        other = _registry.get(kind)
        if other is not None and other.__qualname__ != cls.__qualname__:
            raise ValueError(f"source kind {kind!r} is registered twice: {other!r}, {cls!r}")
        _registry[kind] = cls
    return cls


def _load() -> None:
    global _loaded
    if _loaded:
        return
    with _lock:
        if not _loaded:
            for module in BUILTIN:
                importlib.import_module(module)
            _loaded = True


def connector_class(kind: str) -> type[Connector]:
    """The connector of ``kind``, or :class:`ConfigError` naming the kinds there are."""
    _load()
    try:
        return _registry[kind]
    except KeyError:
        raise ConfigError(
            f"Loại nguồn không hợp lệ (unknown source kind): {kind}; có (known): {', '.join(kinds())}"
        ) from None


def kinds() -> tuple[str, ...]:
    """The registered (polled) kinds, built-ins first in :data:`BUILTIN` order, then others as registered."""
    _load()
    order = {module: i for i, module in enumerate(BUILTIN)}
    ranked = sorted(enumerate(_registry.items()), key=lambda e: (order.get(e[1][1].__module__, len(order)), e[0]))
    return tuple(kind for _, (kind, _cls) in ranked)


def labels() -> dict[str, tuple[str, str]]:
    """``{kind: (Vietnamese label, English label)}`` for every registered kind."""
    return {k: (_registry[k].label_vi, _registry[k].label_en) for k in kinds()}
