"""Report sections shared by the command-line reports (`analyze`, `game`, `certify`, …)."""

from __future__ import annotations

import dataclasses
from typing import Any

__all__ = ["Section", "jsonable"]


@dataclasses.dataclass(frozen=True)
class Section:
    """One titled part of a report: readable ``text`` and JSON-serialisable ``data``."""

    title: str
    text: str
    data: dict[str, Any]

    def render(self) -> str:
        """The section as plain text with an underlined title."""
        return f"{self.title}\n{'-' * len(self.title)}\n{self.text.rstrip()}\n"


def jsonable(value: Any) -> Any:
    """Convert NumPy scalars/arrays (recursively) to plain Python for ``json.dump``."""
    import numpy as np

    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and value != value:
        return None
    return value
