"""Bare `tui-mail` with no config file opens the setup screen; --demo still opens the demo."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tui_mail import cli
from tui_mail.config import default_config_path
from tui_mail.ui.first_run import SetupFirstApp


@dataclass
class Runs:
    """Which interfaces would have run (no terminal is started)."""

    seen: list[tuple[str, object]] = field(default_factory=list)
    choose_demo: bool = False  # what the user picks on the setup screen


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> Runs:
    record = Runs()

    def fake_setup_run(app: SetupFirstApp) -> None:
        record.seen.append(("setup", app.setup_config_path))
        app.wants_demo = record.choose_demo

    def fake_run_app(config, store_path: Path, *, demo: bool = False, notice: str = "") -> int:
        record.seen.append(("demo" if demo else "mailbox", config))
        return 0

    monkeypatch.setattr(SetupFirstApp, "run", fake_setup_run)
    monkeypatch.setattr("tui_mail.ui.app.run_app", fake_run_app)
    monkeypatch.setattr("tui_mail.demo.builder.ensure_demo_cache", lambda data_dir: data_dir / "d")
    return record


def test_no_config_opens_the_setup_screen_for_the_default_path(runs: Runs) -> None:
    assert cli.main([]) == 0
    assert runs.seen == [("setup", default_config_path())]


def test_choosing_the_demo_on_the_setup_screen_opens_the_demo(runs: Runs) -> None:
    runs.choose_demo = True
    assert cli.main([]) == 0
    assert [kind for kind, _ in runs.seen] == ["setup", "demo"]


def test_demo_flag_skips_the_setup_screen(runs: Runs) -> None:
    assert cli.main(["--demo"]) == 0
    assert runs.seen == [("demo", None)]
