"""Plain value records: equality, repr and (for frozen ones) hashing and immutability from a field list.

The public records (:class:`~comfyui_skill.Command`, :class:`~comfyui_skill.Setting`,
:class:`~comfyui_skill.Result`, :class:`~comfyui_skill.Event`, ...) are built on every start-up.
They were dataclasses; ``dataclasses`` itself and the code it generates per class cost a noticeable
part of a short command's run, so each record writes its ``__init__`` by hand (the documented
signature) and inherits the rest from here, with the behaviour a dataclass had.
"""

from __future__ import annotations


class Record:
    """A mutable record: ``__eq__`` and ``__repr__`` over ``_fields``; unhashable, like a dataclass."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()

    def _set(self, *values: object) -> None:
        """Set every field, in the order of ``_fields`` (what ``__init__`` calls)."""
        for name, value in zip(self._fields, values):
            object.__setattr__(self, name, value)

    def _values(self) -> tuple:
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__qualname__}({shown})"


class FrozenRecord(Record):
    """An immutable, hashable record (``__slots__`` holds its fields). Copying and pickling rebuild it
    through its constructor."""

    __slots__ = ()

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r} of a frozen {type(self).__qualname__}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r} of a frozen {type(self).__qualname__}")

    def __hash__(self) -> int:
        return hash(self._values())

    def __reduce__(self) -> tuple:
        return type(self), self._values()
