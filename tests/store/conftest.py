"""Fixtures for the cache tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tui_mail.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "cache" / "mail.db")
    yield s
    s.close()
