"""Reading a TOML table key by key: every read names its key, unread keys are errors, and
each bad value becomes one `ConfigError` naming the file and the dotted key."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from collections.abc import Callable


class ConfigError(ValueError):
    """A bad value in a site file: names the file and the key."""

    def __init__(self, file: Path | str, key: str, message: str):
        super().__init__(f"{file}: {key}: {message}")
        self.file, self.key = str(file), key


class Table:
    """One TOML table being read: every read names its key; unread keys are errors."""

    def __init__(self, file: Path, data: dict[str, Any], prefix: str = ""):
        self.file, self.data, self.prefix = file, data, prefix
        self.seen: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def fail(self, name: str, message: str) -> ConfigError:
        return ConfigError(self.file, self.key(name), message)

    def table(self, name: str) -> Table:
        self.seen.add(name)
        value = self.data.get(name, {})
        if not isinstance(value, dict):
            raise self.fail(name, f"must be a table, got {value!r}")
        return Table(self.file, value, f"{self.key(name)}.")

    def get(self, name: str, kind: type, default: Any = ..., check: Callable[[Any], str | None] | None = None) -> Any:
        self.seen.add(name)
        if name not in self.data:
            if default is ...:
                raise self.fail(name, "is required")
            return default
        value = self.data[name]
        if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            raise self.fail(name, f"must be an integer, got {value!r}")
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)  # "4" is as good as "4.0" for a number with a fraction
        if kind is float and not isinstance(value, float):
            raise self.fail(name, f"must be a number, got {value!r}")
        if kind is not int and not isinstance(value, kind):
            raise self.fail(name, f"must be {kind.__name__}, got {value!r}")
        problem = check(value) if check else None
        if problem:
            raise self.fail(name, f"{problem}, got {value!r}")
        return value

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.seen)
        if unknown:
            raise self.fail(unknown[0], "unknown key")


def between(low: int, high: int) -> Callable[[int], str | None]:
    return lambda v: None if low <= v <= high else f"must be from {low} to {high}"


def matches(pattern: re.Pattern[str], what: str) -> Callable[[str], str | None]:
    return lambda v: None if pattern.match(v) else f"must be {what}"
