"""The titled text block of the earlier per-package ``report_section`` functions.

The report writers live in :mod:`eicircuits.report` (which re-exports :class:`Section`); this
leaf module keeps ``Section`` importable from every layer without importing the writers.
``jsonable`` is re-exported from :mod:`eicircuits._result`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ._result import jsonable

__all__ = ["Section", "jsonable"]


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
