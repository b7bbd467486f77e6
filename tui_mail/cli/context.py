"""What every subcommand needs: the config (loaded and validated once) and the data folder.

A plain class, not a dataclass, and the config module is imported when the config is first
asked for: `search` and `show` read only the cache, and their start-up is most of their time.
"""

from __future__ import annotations

from pathlib import Path

from tui_mail.paths import default_data_dir

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (`search` needs none)
if TYPE_CHECKING:
    import argparse

    from tui_mail.config import Config
    from tui_mail.model import Account


class CliContext:
    def __init__(
        self,
        config_path: Path | None,
        data_dir: Path,
        demo: bool = False,
        debug: bool = False,
        start_notice: str = "",
        _config: Config | None = None,
    ) -> None:
        self.config_path = config_path
        self.data_dir = data_dir
        self.demo = demo
        self.debug = debug  # --debug: protocol lines in the log, whatever the config says
        self.start_notice = start_notice  # what the interface tells the user after its first frame
        self._config = _config

    def __repr__(self) -> str:
        return (f"CliContext(config_path={self.config_path!r}, data_dir={self.data_dir!r}, "
                f"demo={self.demo!r}, debug={self.debug!r}, start_notice={self.start_notice!r})")

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
            from tui_mail.config import load_config, print_warnings

            self._config = load_config(self.config_path)
            print_warnings(self._config)
            import logging

            from tui_mail.lazy_logging import ensure_setup
            from tui_mail.log import set_level

            ensure_setup()  # before its level changes (search and show set it up when needed)

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
