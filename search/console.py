"""Where the tool talks: progress and messages on stderr, tables on stdout."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console


def stderr_console() -> Console:
    """Progress lines and messages: stderr, so that stdout holds only the tables."""
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True)


def stdout_console() -> Console:
    """The console tables go to; a log file or a pipe gets 120 columns so tables are not squeezed to 80."""
    from rich.console import Console

    console = Console(soft_wrap=True)
    return console if console.is_terminal else Console(soft_wrap=True, width=120)

