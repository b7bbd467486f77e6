"""What every subcommand needs: the config (loaded and validated once) and the data folder.

A plain class, not a dataclass, and the config module is imported when the config is first
asked for: `search` and `show` read only the cache, and their start-up is most of their time.
"""

from __future__ import annotations

from pathlib import Path

from tui_mail.errors import UsageError
from tui_mail.paths import default_data_dir

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (`search` needs none)
if TYPE_CHECKING:
    import argparse
    from types import SimpleNamespace
    from typing import Protocol

    from tui_mail.config import Config
    from tui_mail.model import Account, Folder
    from tui_mail.store import Store

    class FolderScope(Protocol):
        """The part of tui_mail.store.Store that `check_scope` reads (declared for the
        checker only: `search` imports no typing)."""

        @property
        def path(self) -> Path: ...

        def folders(self, account: str | None = None) -> list[Folder]: ...


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
    def from_args(cls, args: argparse.Namespace | SimpleNamespace) -> CliContext:
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

    def open_store(self, *, reading: bool = False) -> Store:
        """The cache, opened for writing (which also brings an older cache up to date). For
        `reading` only, a cache this user may not write (on a read-only disk, say) is opened
        read-only rather than refused."""
        import os

        from tui_mail.errors import CacheError
        from tui_mail.store import Store

        try:
            return Store.open(self.cache_path)
        except CacheError:
            path = self.cache_path
            if not reading or not path.is_file() or os.access(path, os.W_OK):
                raise
            return Store.open(path, readonly=True)


def check_scope(store: FolderScope, account: str | None, folder: str | None) -> None:
    """A UsageError naming what the cache holds when --account or --folder names nothing in
    it (a search would otherwise answer "No messages match" and hide the typo)."""
    if account is None and folder is None:
        return
    folders = store.folders()
    accounts = sorted({f.account for f in folders})
    if account is not None and account not in accounts:
        raise UsageError(f"no account {account!r} in the cache {store.path}; "
                         + _listing("accounts", accounts, account))
    if folder is None:
        return
    names = sorted({f.name for f in folders if account is None or f.account == account})
    if folder not in names:
        where = f" of account {account!r}" if account is not None else ""
        raise UsageError(f"no folder {folder!r}{where} in the cache {store.path}; "
                         + _listing("folders", names, folder))


def _listing(kind: str, names: list[str], wanted: str, most: int = 15) -> str:
    if not names:
        return "it has none yet: run `tui-mail sync` or `tui-mail import` first"
    import difflib

    near = difflib.get_close_matches(wanted, names, n=1)
    shown = ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most
                                       else "")
    return (f"did you mean {near[0]!r}? " if near else "") + f"{kind}: {shown}"
