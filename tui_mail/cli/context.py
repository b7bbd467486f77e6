"""What every subcommand needs: the config (loaded and validated once) and the data folder."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

from tui_mail.config import Config, default_data_dir, load_config, print_warnings
from tui_mail.model import Account


@dataclass
class CliContext:
    config_path: Path | None
    data_dir: Path
    demo: bool = False
    debug: bool = False  # --debug: protocol lines in the log, whatever the config says
    start_notice: str = ""  # what the interface tells the user after its first frame
    _config: Config | None = field(default=None, repr=False)

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> CliContext:
        return cls(
            config_path=Path(args.config).expanduser() if args.config else None,
            data_dir=Path(args.data_dir).expanduser() if args.data_dir else default_data_dir(),
            demo=bool(getattr(args, "demo", False)),
            debug=bool(getattr(args, "debug", False)),
        )

    def config(self) -> Config:
        """Load and validate the config on first use; warnings go to stderr once, and its
        `log_level` applies from then on (unless --debug asked for more)."""
        if self._config is None:
            self._config = load_config(self.config_path)
            print_warnings(self._config)
            import logging

            from tui_mail.log import set_level

            if not self.debug:
                set_level(self._config.log_level)
            for warning in self._config.warnings:
                logging.getLogger(__name__).warning("%s", warning)
        return self._config

    def accounts(self, name: str | None = None) -> tuple[Account, ...]:
        """All accounts, or the one named (a clear error if there is no such account)."""
        config = self.config()
        if name is None:
            return config.accounts
        return (config.account(name),)

    @property
    def cache_path(self) -> Path:
        return self.data_dir / "cache.sqlite3"
