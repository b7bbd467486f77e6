"""Worker counts follow the cores this process may use, not the machine's."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="Linux only")
def test_usable_cores_counts_the_cores_the_process_is_pinned_to() -> None:
    one = min(os.sched_getaffinity(0))
    code = (
        "import os; from tui_mail.cores import usable_cores; "
        f"os.sched_setaffinity(0, {{{one}}}); print(usable_cores(), os.cpu_count())"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    pinned, machine = (int(n) for n in done.stdout.split())
    assert pinned == 1
    assert machine == os.cpu_count()
