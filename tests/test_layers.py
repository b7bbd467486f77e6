"""The layer rules of DESIGN.md, checked rather than only written down (as Harlequin does)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tui_mail"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(under: str = "") -> list[Path]:
    root = PACKAGE / under if under else PACKAGE
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def imported_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def first_party_layer(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if parts[0] == "tui_mail" and len(parts) > 1 else None


HEADLESS = [
    p for p in modules()
    if p.relative_to(PACKAGE).parts[0] != "ui" and p.name != "__main__.py"
]


@pytest.mark.parametrize("path", HEADLESS, ids=module_name)
def test_headless_module_loads_neither_textual_nor_rich(path: Path) -> None:
    name = module_name(path)
    code = (
        f"import sys, importlib; importlib.import_module({name!r}); "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')); "
        "print(','.join(bad))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"{name} loads {done.stdout.strip()}"


@pytest.mark.parametrize("path", modules("ui"), ids=module_name)
def test_ui_imports_no_protocol_library_and_no_sqlite(path: Path) -> None:
    forbidden = {"imapclient", "poplib", "aiosmtplib", "sqlite3", "smtplib", "imaplib", "socket"}
    used = {n.split(".")[0] for n in imported_names(path)}
    assert not used & forbidden


@pytest.mark.parametrize("path", modules("remote"), ids=module_name)
def test_remote_knows_neither_textual_nor_sqlite_nor_the_cache(path: Path) -> None:
    names = imported_names(path)
    assert not {n.split(".")[0] for n in names} & {"textual", "rich", "sqlite3"}
    assert not {first_party_layer(n) for n in names} & {"store", "sync", "ui", "cli"}


@pytest.mark.parametrize("path", modules("mail"), ids=module_name)
def test_mail_is_pure_and_imports_only_types_of_ours(path: Path) -> None:
    names = imported_names(path)
    layers = {first_party_layer(n) for n in names} - {None}
    assert layers <= {"model", "errors", "mail"}
    io_modules = {"socket", "sqlite3", "subprocess", "imapclient", "poplib", "aiosmtplib", "requests"}
    assert not {n.split(".")[0] for n in names} & io_modules


@pytest.mark.parametrize("path", modules("crypto"), ids=module_name)
def test_crypto_runs_gnupg_and_knows_neither_the_cache_nor_the_network(path: Path) -> None:
    """crypto/ opens signed and encrypted messages with the user's GnuPG (a local program):
    it reads the cache's bytes, never the cache, and draws nothing."""
    names = imported_names(path)
    assert not {first_party_layer(n) for n in names} & {"store", "sync", "remote", "ui", "cli"}
    assert not {n.split(".")[0] for n in names} & {"textual", "rich", "sqlite3", "socket"}


@pytest.mark.parametrize("path", modules("store"), ids=module_name)
def test_store_does_not_reach_up_into_sync_ui_or_network(path: Path) -> None:
    names = imported_names(path)
    assert not {first_party_layer(n) for n in names} & {"sync", "ui", "cli", "remote"}
    assert not {n.split(".")[0] for n in names} & {"imapclient", "poplib", "aiosmtplib"}


@pytest.mark.parametrize("path", modules("sync"), ids=module_name)
def test_sync_never_draws_and_speaks_protocols_only_through_remote(path: Path) -> None:
    names = imported_names(path)
    assert not {first_party_layer(n) for n in names} & {"ui", "cli"}
    protocol_libraries = {"imapclient", "poplib", "aiosmtplib", "imaplib", "smtplib"}
    assert not {n.split(".")[0] for n in names} & ({"textual", "rich"} | protocol_libraries)


# The UI asks the mail service for everything but reads: it speaks to no server, builds no
# engine or outbox of its own, and opens the cache read-only (DESIGN.md: "The service owns
# the network work").
UI_MAY_USE_FROM_SYNC = {
    "tui_mail.sync.service",  # the one door
    "tui_mail.sync.events",  # what the service reports
    "tui_mail.sync.acting",  # the outcome and undo types of actions, and read-only helpers
    "tui_mail.sync.bodies",  # the errors a body request can end in
}


def _sync_or_remote(names: set[str]) -> set[str]:
    return {n for n in names if first_party_layer(n) in ("sync", "remote")}


@pytest.mark.parametrize("path", modules("ui"), ids=module_name)
def test_ui_speaks_to_no_server_and_uses_the_sync_layer_only_through_the_service(
        path: Path) -> None:
    used = _sync_or_remote(imported_names(path))
    assert used <= UI_MAY_USE_FROM_SYNC, sorted(used - UI_MAY_USE_FROM_SYNC)


def _store_opens(tree: ast.AST) -> list[ast.Call]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute) and node.func.attr == "open"
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "Store"]


def _readonly(call: ast.Call) -> bool:
    return any(k.arg == "readonly" and isinstance(k.value, ast.Constant) and k.value.value is True
               for k in call.keywords)


@pytest.mark.parametrize("path", modules("ui"), ids=module_name)
def test_ui_opens_the_cache_only_read_only(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    writers = [call.lineno for call in _store_opens(tree) if not _readonly(call)]
    assert writers == [], f"Store.open without readonly=True at lines {writers}"


def _runtime_imports(path: Path, module: str, known: set[str]) -> set[str]:
    """Modules of ours `path` imports when it runs (at top level or inside a function), not
    those under `if TYPE_CHECKING:`. `from package import submodule` counts as the submodule."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only.update(id(sub) for stmt in node.body for sub in ast.walk(stmt))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            subs = {f"{base}.{a.name}" for a in node.names} & known
            out.update(subs or ({base} & known))
    out.discard(module)
    return out


def import_cycles() -> list[list[str]]:
    """Groups of our modules that import each other, directly or round a loop (Tarjan)."""
    paths = {module_name(p): p for p in modules()}
    known = set(paths)
    graph = {m: _runtime_imports(p, m, known) for m, p in paths.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return cycles


def test_no_two_modules_import_each_other_even_round_a_loop() -> None:
    assert import_cycles() == []


@pytest.mark.parametrize("path", modules("oauth2"), ids=module_name)
def test_oauth2_knows_neither_the_screen_nor_the_cache(path: Path) -> None:
    names = imported_names(path)
    assert not {n.split(".")[0] for n in names} & {"textual", "rich", "sqlite3"}
    assert not {first_party_layer(n) for n in names} & {"store", "sync", "ui", "cli"}
