"""What every command's parser shares: the help formatter and the argument types (standard library only)."""

from __future__ import annotations

import argparse


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Appends "(default: X)" only where it says something: not for on/off flags, required options, options
    whose default is "not given" (None), or help that already states its default."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if (
            action.default in (None, argparse.SUPPRESS, False, True, [])
            or action.required
            or not action.option_strings
            or "default:" in text
        ):
            return text
        return super()._get_help_string(action)


def names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, but got {value}")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, but got {value}")
    return value


def non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, but got {value}")
    return value


def non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be 0 or more, but got {value}")
    return value


def workers(text: str) -> int | None:
    if text.strip().lower() == "auto":
        return None
    return positive_int(text)


def seed_count(text: str) -> int:
    value = int(text)
    if value == 1 or value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 (no verdict) or at least 2, but got {value}")
    return value


def fraction(text: str) -> float:
    value = float(text)
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, but got {value}")
    return value


def url(text: str) -> str:
    """A storage or tracking URL as given, or with ``@FILE`` read from that file's first line: a URL with a
    password never needs to be on a command line (where ``ps`` shows it to every user)."""
    if not text.startswith("@"):
        return text
    try:
        with open(text[1:], encoding="utf-8") as handle:
            value = handle.readline().strip()
    except OSError as exc:
        raise argparse.ArgumentTypeError(f"cannot read the URL from {text[1:]}: {exc.strerror}") from None
    if not value:
        raise argparse.ArgumentTypeError(f"{text[1:]} holds no URL")
    return value


def storage_from(value: str | None) -> str:
    """``--storage`` as given, else ``$ACTIVATION_SEARCH_STORAGE``, else the local SQLite default."""
    import os

    from search.locations import DEFAULT_STORAGE, ENV_STORAGE

    return value or os.environ.get(ENV_STORAGE) or DEFAULT_STORAGE


def objectives(text: str) -> tuple[str, ...]:
    from search.errors import UsageError
    from search.study import parse_objectives

    try:
        return parse_objectives(text)
    except UsageError as exc:
        message = str(exc).removeprefix(f"--objectives {text!r}: ").removeprefix("--objectives: ")
        raise argparse.ArgumentTypeError(message) from None
