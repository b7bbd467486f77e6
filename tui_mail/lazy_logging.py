"""A logger that imports `logging` at its first record, for the quick commands' path.

`import logging` costs `search` and `show` several milliseconds (it brings `traceback`,
`threading`, `string`...), and a search that goes well logs nothing: at the default level
nothing at all, not even its one debug line. So the modules on that path (the CLI's entry,
the cache's open and read code) name their logger with `get_logger(__name__)`, and the entry
point of those commands asks for the log file with `defer_setup(level)` instead of calling
`tui_mail.log.setup_logging` at once: the first record at or above the level, or the first
`ensure_setup()` (any code about to use `logging` or `tui_mail.log` itself), runs that setup,
and from then on everything is as with a plain `logging.getLogger(__name__)`. A record below
the level is dropped without importing anything.

Every other command sets the log up at once, as before (`setup_now`), and then these loggers
are plain loggers.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    import logging
    from collections.abc import Mapping
    from types import TracebackType
    from typing import TypedDict, Unpack

    ExcInfo = (None | bool | BaseException
               | tuple[type[BaseException], BaseException, TracebackType | None]
               | tuple[None, None, None])

    class LogOptions(TypedDict, total=False):
        """The keywords of `logging.Logger.log` after the message's arguments."""

        exc_info: ExcInfo
        stack_info: bool
        stacklevel: int
        extra: Mapping[str, object] | None

DEBUG, INFO, WARNING, ERROR, CRITICAL = 10, 20, 30, 40, 50  # logging's numbers
_LEVELS = {"debug": DEBUG, "info": INFO, "warning": WARNING, "error": ERROR}

_pending: list[str | int] = []  # the level of a deferred setup, until it is run
_threshold = [0]  # below this a record is dropped unseen (0: ask logging)


def defer_setup(level: str | int) -> None:
    """Set the log up (`tui_mail.log.setup_logging(level)`) when it is first needed."""
    _pending[:] = [level]
    _threshold[0] = _LEVELS[level.lower()] if isinstance(level, str) else int(level)


def setup_now(level: str | int) -> None:
    """Set the log up at once."""
    _pending[:] = [level]
    ensure_setup()


def ensure_setup() -> None:
    """Run a deferred setup, if one waits."""
    try:
        level = _pending.pop()
    except IndexError:  # none waits (or another thread took it)
        return
    _threshold[0] = 0
    from tui_mail.log import setup_logging

    setup_logging(level)


def setup_pending() -> bool:
    """Whether a deferred setup still waits (nothing was logged yet)."""
    return bool(_pending)


class LazyLogger:
    """The part of `logging.Logger` our modules use: debug ... exception, and log."""

    __slots__ = ("name", "_logger")

    def __init__(self, name: str) -> None:
        self.name = name
        self._logger: logging.Logger | None = None

    def _real(self) -> logging.Logger:
        ensure_setup()
        if self._logger is None:
            import logging

            self._logger = logging.getLogger(self.name)
        return self._logger

    def _emit(self, level: int, msg: object, args: tuple[object, ...],
              kwargs: LogOptions) -> None:
        if level < _threshold[0]:
            return
        # the record names our caller's caller, as logging's own methods do
        kwargs["stacklevel"] = int(kwargs.get("stacklevel", 1)) + 2
        self._real().log(level, msg, *args, **kwargs)

    def log(self, level: int, msg: object, *args: object, **kwargs: Unpack[LogOptions]) -> None:
        self._emit(level, msg, args, kwargs)

    def debug(self, msg: object, *args: object, **kwargs: Unpack[LogOptions]) -> None:
        self._emit(DEBUG, msg, args, kwargs)

    def info(self, msg: object, *args: object, **kwargs: Unpack[LogOptions]) -> None:
        self._emit(INFO, msg, args, kwargs)

    def warning(self, msg: object, *args: object, **kwargs: Unpack[LogOptions]) -> None:
        self._emit(WARNING, msg, args, kwargs)

    def error(self, msg: object, *args: object, **kwargs: Unpack[LogOptions]) -> None:
        self._emit(ERROR, msg, args, kwargs)

    def critical(self, msg: object, *args: object, **kwargs: Unpack[LogOptions]) -> None:
        self._emit(CRITICAL, msg, args, kwargs)

    def exception(self, msg: object, *args: object, **kwargs: Unpack[LogOptions]) -> None:
        kwargs.setdefault("exc_info", True)
        self._emit(ERROR, msg, args, kwargs)

    def isEnabledFor(self, level: int) -> bool:  # noqa: N802 - logging's name
        return level >= _threshold[0] and self._real().isEnabledFor(level)

    def __getattr__(self, name: str) -> object:  # anything else: the real logger's
        return getattr(self._real(), name)


def get_logger(name: str) -> LazyLogger:
    return LazyLogger(name)
