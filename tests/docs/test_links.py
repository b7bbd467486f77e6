"""The README and the architecture document link only to files a clone has (the README once
pointed at ../shared/DESIGN.md, which exists on no user's machine)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("document", ["README.md", "docs/ARCHITECTURE.md"])
def test_every_relative_link_names_a_file_of_the_repository(document: str) -> None:
    path = ROOT / document
    targets = [t for t in LINK.findall(path.read_text(encoding="utf-8"))
               if "://" not in t and not t.startswith("mailto:")]
    assert targets, "no links found: the pattern is wrong"
    missing = [t for t in targets if not (path.parent / t).resolve().is_relative_to(ROOT)
               or not (path.parent / t).exists()]
    assert missing == []


def test_the_readme_points_to_the_architecture_document() -> None:
    assert "(docs/ARCHITECTURE.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
