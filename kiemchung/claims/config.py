"""Per-installation settings of the verify side: the matcher configuration from the settings.

The registry of every setting (keys, validation, secrets, who may change them, labels) is
:mod:`kiemchung.store.settings`; the names below are kept for callers of this module.
:func:`match_config` turns the matcher keys into a :class:`~kiemchung.claims.match.MatchConfig` (the
library defaults for anything not set). The alert engine, ``kiemchung match`` and the reach module all
build their matcher from it.
"""

from __future__ import annotations

from typing import Any

from kiemchung.claims.match import MatchConfig
from kiemchung.store.settings import HIDDEN, MASK, SECRET, SETTINGS, Setting, get_shown, set_value, shown_value
from kiemchung.store.settings import _moment, _semantic  # noqa: F401  (kept for older imports)

set_setting = set_value

# setting key → MatchConfig field
_MATCH_FIELDS = {
    "match_threshold": "threshold",
    "match_threshold_lexical": "threshold_lexical",
    "match_min_query_tokens": "min_query_tokens",
    "pair_threshold": "pair_threshold",
}


def match_config(db, base: MatchConfig | None = None, *, overrides: dict[str, str] | None = None) -> MatchConfig:
    """The installation's matcher configuration: ``base`` (default ``MatchConfig()``) with the
    ``match_*`` settings applied (``overrides``: values to try instead of the stored ones). A value
    that is not valid (alone or with the others) raises ``ConfigError``."""
    from kiemchung.errors import ConfigError

    overrides = overrides or {}

    def raw(key: str) -> str | None:
        return overrides[key] if key in overrides else db.get_setting(key)

    cfg = base or MatchConfig()
    changes: dict[str, object] = {}
    for key, name in _MATCH_FIELDS.items():
        text = raw(key)
        if text in (None, ""):
            continue
        value = SETTINGS[key].check(text)
        changes[name] = int(value) if name == "min_query_tokens" else float(value)
    text = raw("match_semantic")
    if text not in (None, ""):
        changes["semantic"] = {"auto": "auto", "on": True, "off": False}[_semantic(text)]
    if not changes:
        return cfg
    try:
        return cfg.replace(**changes)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"Các ngưỡng khớp không hợp nhau (matcher settings do not fit together): {exc}") from None


def show_settings(db) -> list[tuple[str, str, str]]:
    """``(key, value in force, help)`` of every setting a person may see (secrets masked)."""
    from kiemchung.store.settings import listing

    return [(row.key, row.shown, row.help) for row in listing(db)]


__all__ = ["HIDDEN", "MASK", "SECRET", "SETTINGS", "Setting", "get_shown", "match_config", "set_setting",
           "show_settings", "shown_value"]
