"""Read-through mappings: a fixed set of keys whose values are made on each access, never stored.

The processing hands whole-tile layers around as mappings (band -> array) that load from the HDF5
databases, compute a radiance or embed a window only when a consumer asks for one key, so about one
full-size array is alive at a time. Membership, iteration and length use the keys alone.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any


class LazyMapping(Mapping):
    """``key -> load(key)`` for the given ``keys``, computed on every access (nothing cached)."""

    def __init__(self, keys: Iterable[str], load: Callable[[str], Any]) -> None:
        self._keys, self._load = tuple(keys), load

    def __getitem__(self, key: str) -> Any:
        if key not in self._keys:
            raise KeyError(key)
        return self._load(key)

    def __contains__(self, key: object) -> bool:   # without loading
        return key in self._keys

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


def read_through(source: Mapping[str, Any], transform: Callable[[str, Any], Any]) -> LazyMapping:
    """The keys of ``source``, each value passed through ``transform(key, value)`` when asked for."""
    return LazyMapping(source, lambda key: transform(key, source[key]))
