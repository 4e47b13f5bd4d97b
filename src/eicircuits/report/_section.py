"""A titled part of a text report."""

from __future__ import annotations

import dataclasses
from typing import Any

__all__ = ["Section"]


@dataclasses.dataclass(frozen=True)
class Section:
    """One titled part of a report: readable ``text`` and JSON-serialisable ``data``.

    Examples
    --------
    >>> print(Section("Network", "neurons: 2", {"n": 2}).render())
    Network
    -------
    neurons: 2
    <BLANKLINE>
    """

    title: str
    text: str
    data: dict[str, Any]

    def render(self) -> str:
        """The section as plain text with an underlined title."""
        return f"{self.title}\n{'-' * len(self.title)}\n{self.text.rstrip()}\n"
