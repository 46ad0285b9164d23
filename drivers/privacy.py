"""Helpers that keep raw identifiers out of reprs, logs and tracebacks."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

# Below this length, even the last 4 characters are most of the value.
_MIN_LENGTH_TO_SHOW_TAIL = 8


def mask_tail(value: str, visible: int = 4) -> str:
    """``"****1234"``-style mask. A fixed number of stars so the length does not leak."""
    if len(value) < _MIN_LENGTH_TO_SHOW_TAIL:
        return "****"
    return "****" + value[-visible:]


class RedactedMapping(Mapping[str, str]):
    """Read-only, hashable mapping whose repr names the keys but never the values."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, str] | None = None) -> None:
        self._data = dict(data or {})

    def __getitem__(self, key: str) -> str:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._data == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"<redacted: {', '.join(sorted(self._data))}>"
