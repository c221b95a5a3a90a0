"""``--help`` says what each flag does, once, and shows a default only where there is one to show."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from search.cli import build_parser
from search.cli._args import HelpFormatter

ROOT = Path(__file__).resolve().parents[3]


def subparsers() -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def option_entries(text: str) -> dict[str, str]:
    """``--flag`` → its help entry (the lines from the flag to the next flag or section)."""
    entries: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        stripped = line.strip()
        if line.startswith("  -"):
            current = stripped.split()[0].rstrip(",")
            entries[current] = stripped
        elif current and line.startswith("   ") and stripped:
            entries[current] += " " + stripped
        else:
            current = None
    return entries


@pytest.mark.parametrize("command", sorted(subparsers()))
def test_every_option_has_help_and_at_most_one_default(command: str) -> None:
    parser = subparsers()[command]
    missing = [a.option_strings[0] for a in parser._actions if a.option_strings and not a.help]
    assert missing == []
    entries = option_entries(parser.format_help())
    assert entries, "no option found in the help text"
    for flag, entry in entries.items():
        assert "(default: None)" not in entry, flag
        assert "(default: True)" not in entry and "(default: False)" not in entry, flag
        assert entry.count("default:") <= 1, f"{flag} shows two defaults: {entry}"


def test_required_options_show_no_default() -> None:
    assert "default:" not in option_entries(subparsers()["report"].format_help())["--study"]
    assert "default:" not in option_entries(subparsers()["worker"].format_help())["--study"]


def test_seeds_help_says_that_one_seed_is_refused() -> None:
    entry = option_entries(subparsers()["run"].format_help())["--seeds"]
    assert "1 is refused" in entry and "(default: 5)" in entry


def test_the_formatter_adds_a_default_where_it_informs() -> None:
    parser = argparse.ArgumentParser(formatter_class=HelpFormatter)
    parser.add_argument("--epochs", type=int, default=15, help="epochs per trial")
    parser.add_argument("--target", default=None, help="label column")
    parser.add_argument("--flag", action="store_true", help="turn it on")
    parser.add_argument("--grace", type=int, default=60, help="seconds (default: one minute)")
    entries = option_entries(parser.format_help())
    assert entries["--epochs"].endswith("(default: 15)")
    assert "default" not in entries["--target"] and "default" not in entries["--flag"]
    assert entries["--grace"].count("default:") == 1


def test_a_missing_tensorflow_is_one_line_naming_the_install_command(tmp_path: Path) -> None:
    probe = (
        "import sys; sys.modules['tensorflow'] = None\n"
        "from search.cli import main\n"
        f"sys.exit(main(['run', '--storage', 'sqlite:///{tmp_path}/o.db', '--tracking-uri', 'sqlite:///{tmp_path}/m.db']))"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert done.stderr.startswith("error: TensorFlow is not installed") and "'.[cpu]'" in done.stderr
    assert list(tmp_path.iterdir()) == []
