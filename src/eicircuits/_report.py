"""Earlier home of the report helpers; they now live in :mod:`eicircuits.report`.

``Section`` is re-exported for the per-package ``report_section`` functions written against it,
and ``jsonable`` from :mod:`eicircuits._result`.
"""

from __future__ import annotations

from ._result import jsonable
from .report._section import Section

__all__ = ["Section", "jsonable"]
