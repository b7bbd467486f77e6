"""The built-in offline demo account: realistic messages generated from data in this package.

`ensure_demo_cache(data_dir)` returns the path of a cache holding the account "demo", building
it on first use (about a second) and reusing it afterwards.
"""

from tui_mail.demo.builder import build_demo_cache, demo_cache_path, ensure_demo_cache

__all__ = ["build_demo_cache", "demo_cache_path", "ensure_demo_cache"]
