"""The public surface: what ``__all__`` promises exists, and nothing private leaks into it."""

from __future__ import annotations

import importlib

import pytest

import kiemchung
from kiemchung.errors import KiemchungError


@pytest.mark.parametrize("module", ["kiemchung", "kiemchung.text", "kiemchung.store"])
def test_all_names_exist(module):
    mod = importlib.import_module(module)
    assert mod.__all__, module
    for name in mod.__all__:
        assert hasattr(mod, name), f"{module}.{name}"
        assert not name.startswith("_") or name == "__version__"


def test_every_exception_derives_from_the_base():
    from kiemchung import errors

    for name in dir(errors):
        obj = getattr(errors, name)
        if isinstance(obj, type) and issubclass(obj, Exception) and obj.__module__ == errors.__name__:
            assert issubclass(obj, KiemchungError), name
    assert set(kiemchung.__all__) >= {"KiemchungError", "QueryError", "SourceError", "Document", "Source"}
