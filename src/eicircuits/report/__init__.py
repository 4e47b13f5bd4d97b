"""Report writers: every rendering of a result lives here and takes the result as input.

Text and Markdown
-----------------
render_text        -- the whole :class:`~eicircuits.analysis.Analysis` as plain text
render_markdown    -- the same as Markdown (``report.md``)
network_text, equilibrium_text, stability_text, game_text, contrast_text, trajectory_text
                   -- one part each
Section            -- a titled block of text (with its data)

Files
-----
write_json         -- strict JSON of a result's ``to_dict()`` (snake_case keys)
to_dataset, write_netcdf -- a self-contained NetCDF file (W as COO, u, τ, cell types,
                   activation, certificate, equilibrium, trajectory, the report)
network_from_dataset, read_network -- the network back from that file
plot_analysis, write_figure -- the figure of what the circuit does
write_report       -- all of the above into one folder

The package imports its parts (xarray, matplotlib) only when first used.

Examples
--------
>>> from eicircuits import Network, analyze
>>> from eicircuits.report import render_text
>>> net = Network(W=[[0.5, -1.0], [1.0, -0.5]], u=[1.0, 0.0], cell_types="EI")
>>> print(render_text(analyze(net, include=())).splitlines()[0])
Network
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

__all__ = [
    "Section",
    "render_text",
    "render_markdown",
    "network_text",
    "equilibrium_text",
    "stability_text",
    "game_text",
    "contrast_text",
    "trajectory_text",
    "write_json",
    "to_dataset",
    "write_netcdf",
    "network_from_dataset",
    "read_network",
    "plot_analysis",
    "write_figure",
    "write_report",
    "REPORT_FILES",
]

_LAZY = {
    "Section": ".._report",
    "render_text": ".text",
    "render_markdown": ".text",
    "network_text": ".text",
    "equilibrium_text": ".text",
    "stability_text": ".text",
    "game_text": ".text",
    "contrast_text": ".text",
    "trajectory_text": ".text",
    "to_dataset": ".netcdf",
    "write_netcdf": ".netcdf",
    "network_from_dataset": ".netcdf",
    "read_network": ".netcdf",
    "plot_analysis": ".figure",
    "write_figure": ".figure",
}

#: The files :func:`write_report` writes into its folder.
REPORT_FILES = ("report.txt", "report.md", "report.json", "analyze.nc", "analyze.png")


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'eicircuits.report' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def write_json(result: Any, path: str | Path) -> Path:
    """Write ``result.to_dict()`` (or a plain dict) as indented strict JSON; return the path."""
    from .._result import jsonable

    data = result.to_dict() if hasattr(result, "to_dict") else result
    p = Path(path)
    p.write_text(json.dumps(jsonable(data), indent=2, allow_nan=False, ensure_ascii=False)
                 + "\n", encoding="utf-8")
    return p


def write_report(analysis: Any, folder: str | Path) -> list[Path]:
    """Write :data:`REPORT_FILES` for an analysis into ``folder`` (which must exist).

    ``report.txt`` is exactly :func:`render_text`; ``report.json`` the analysis'
    ``to_dict()``; ``analyze.nc`` :func:`write_netcdf`; ``analyze.png`` :func:`write_figure`;
    ``report.md`` :func:`render_markdown` with the figure embedded.
    """
    from .figure import write_figure
    from .netcdf import write_netcdf
    from .text import render_markdown, render_text

    out = Path(folder)
    paths = [out / name for name in REPORT_FILES]
    txt, md, js, nc, png = paths
    txt.write_text(render_text(analysis), encoding="utf-8")
    md.write_text(render_markdown(analysis, figure=png.name), encoding="utf-8")
    write_json(analysis, js)
    write_netcdf(analysis, nc)
    write_figure(analysis, png)
    return paths
