"""Result objects of :func:`eicircuits.continuation`: branches, bifurcation points, the whole."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._result import Result, jsonable

__all__ = ["Branch", "Bifurcation", "Continuation", "KINDS"]

FloatArray = NDArray[np.float64]

#: Bifurcation kinds a continuation reports.
KINDS = {
    "fold": "two branches meet and the number of equilibria changes by two",
    "border": "the active set changes (a neuron reaches or leaves a threshold); no fold",
    "hopf": "a complex pair of eigenvalues crosses the imaginary axis",
    "branch_point": "the Jacobian is singular without a fold (branches cross); not continued",
    "stability_change": "the stability changes between two points but no crossing was located",
}


@dataclasses.dataclass(frozen=True, eq=False)
class Branch(Result):
    """One branch of equilibria ``x(λ)``.

    Attributes
    ----------
    lam : ndarray, shape (m,)
        Parameter values of the points (not monotone past a fold).
    x : ndarray, shape (m, k)
        Rates at the points, for the neurons in ``neurons`` (all by default).
    stable : ndarray of bool, shape (m,), or None
        Local exponential stability (rate Jacobian with the network's τ). On a piecewise-linear
        branch the points are the vertices of the path and ``stable[j]`` is the verdict of the
        segment from point ``j`` to ``j + 1`` (the last point repeats the last segment's).
        ``None`` when stability was not computed.
    eigenvalues : ndarray, shape (m, r), or None
        The ``r`` rightmost eigenvalues of the rate Jacobian at each point (per segment on a
        piecewise-linear branch, as for ``stable``); ``None`` when not computed or when
        stability came from an LDS certificate.
    segment_stable : ndarray of bool, shape (m − 1,), or None
        Stability of each segment (what a diagram draws solid or dashed).
    neurons : ndarray of int
        The neurons whose rates ``x`` holds.
    method : str
        ``"piecewise-linear"`` (exact pivoting) or ``"arclength"`` (pseudo-arclength).
    success, status, message
        How the branch ended: ``"span_end"`` (left the span), ``"max_points"``,
        ``"step_collapse"``, ``"singular"``, ``"branch_point"``, ``"degenerate"``,
        ``"unbounded"``.
    stats : dict
        Pivots or steps, Newton iterations, timings.
    """

    lam: FloatArray
    x: FloatArray
    stable: NDArray[np.bool_] | None
    eigenvalues: NDArray[np.complex128] | None
    segment_stable: NDArray[np.bool_] | None
    neurons: NDArray[np.intp]
    method: str
    success: bool
    status: str
    message: str
    stats: dict[str, Any] = dataclasses.field(default_factory=dict)
    _state0: NDArray[np.int8] | None = None
    _changes: tuple[tuple[int, int, int], ...] = ()

    @property
    def m(self) -> int:
        """Number of points."""
        return int(self.lam.shape[0])

    def states(self) -> list[NDArray[np.int8]]:
        """Piecewise-linear branches: each segment's neuron states (0 below the threshold, 1 in
        the linear piece, 2 saturated at the clip)."""
        if self._state0 is None:
            raise AttributeError("states: only piecewise-linear branches carry active sets")
        out, state = [], self._state0.copy()
        changes = list(self._changes)
        for seg in range(max(self.m - 1, 1)):
            while changes and changes[0][0] <= seg:
                _, i, s = changes.pop(0)
                state[i] = s
            out.append(state.copy())
        return out

    def active_sets(self) -> list[NDArray[np.intp]]:
        """Piecewise-linear branches: the active set (neurons in the linear piece) of each
        segment; ``x`` is affine in ``λ`` on each."""
        return [np.flatnonzero(s == 1) for s in self.states()]

    def _fields_for_dict(self) -> dict[str, Any]:
        out = super()._fields_for_dict()
        if self._state0 is not None and self.m * self._state0.size <= 1_000_000:
            out["active_sets"] = self.active_sets()
        return out


@dataclasses.dataclass(frozen=True, eq=False)
class Bifurcation:
    """A special point on a branch.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`: ``"fold"``, ``"border"``, ``"hopf"``, ``"branch_point"``,
        ``"stability_change"``.
    lam : float
        Parameter value.
    x : ndarray
        Rates there (the branch's ``neurons``).
    message : str
        What happens there, in words.
    branch : int
        Index of the branch in :attr:`Continuation.branches`.
    index : int
        Index of the point in that branch's arrays.
    eigenvalue : complex or None
        The eigenvalue on the imaginary axis (``iω`` at a Hopf point, its real part zero to
        rounding; ``0`` at a fold of a smooth branch).
    neuron : int or None
        At a border or piecewise-linear fold: the neuron that changes state.
    """

    kind: str
    lam: float
    x: FloatArray
    message: str
    branch: int
    index: int
    eigenvalue: complex | None = None
    neuron: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return jsonable(dataclasses.asdict(self))


@dataclasses.dataclass(frozen=True, eq=False)
class Continuation(Result):
    """Branches of equilibria of a one-parameter family and their bifurcations (docs/theory.md §8).

    Attributes
    ----------
    branches : list of Branch
    bifurcations : list of Bifurcation
        Folds, Hopf points and branch points; on piecewise-linear branches also the borders
        (every change of active set), unless ``borders=False`` was asked.
    parameter : str
        Name of the parameter ``λ`` (for labels).
    span : (float, float)
    method : str
        ``"piecewise-linear"`` or ``"arclength"``.
    single_valued : bool or None
        True when an LDS certificate of ``W − I`` proves one equilibrium for every ``λ`` of an
        input family (the branch is then a function of ``λ``); None when not decided.
    success, status, message, stats
        ``success`` is True when every branch reached the end of the span (or returned to it);
        ``message`` says what was found and what was not (e.g. isolas are not searched).
    """

    branches: list[Branch]
    bifurcations: list[Bifurcation]
    parameter: str
    span: tuple[float, float]
    method: str
    single_valued: bool | None
    success: bool
    status: str
    message: str
    stats: dict[str, Any] = dataclasses.field(default_factory=dict)
    neuron_names: tuple[str, ...] = ()

    def of_kind(self, kind: str) -> list[Bifurcation]:
        """The bifurcations of one kind, sorted by ``λ``."""
        return sorted((b for b in self.bifurcations if b.kind == kind), key=lambda b: b.lam)

    @property
    def folds(self) -> list[Bifurcation]:
        """Fold points, sorted by ``λ``."""
        return self.of_kind("fold")

    @property
    def hopf(self) -> list[Bifurcation]:
        """Hopf points, sorted by ``λ``."""
        return self.of_kind("hopf")

    def count_at(self, lam: float) -> int:
        """Number of branch points at parameter ``lam`` (crossings of the level ``λ = lam``,
        counting a vertex once): the number of equilibria found there."""
        total = 0
        for br in self.branches:
            a = br.lam - lam
            if a.size == 1:
                total += int(a[0] == 0)
                continue
            hits = np.flatnonzero(a == 0)
            total += hits.size
            s = np.sign(a)
            total += int(np.sum((s[:-1] * s[1:]) < 0))
        return total

    def points_at(self, lam: float) -> FloatArray:
        """Rates of every branch at parameter ``lam`` (linear interpolation between points,
        exact on piecewise-linear branches), one row per crossing."""
        rows = []
        for br in self.branches:
            for j in range(br.m - 1):
                a, b = br.lam[j], br.lam[j + 1]
                if a == b:
                    continue
                if min(a, b) <= lam <= max(a, b) and not (lam == b and j + 1 < br.m - 1):
                    t = (lam - a) / (b - a)
                    rows.append((1 - t) * br.x[j] + t * br.x[j + 1])
        n = self.branches[0].x.shape[1] if self.branches else 0
        return np.array(rows, dtype=float).reshape(len(rows), n)

    def to_xarray(self) -> Any:
        """An ``xarray.Dataset``: every branch's points along ``point`` (``branch`` says which),
        rates ``x(point, neuron)``, ``stable``, the leading eigenvalues (real and imaginary
        parts), and the bifurcations along ``bifurcation``. Attributes hold the parameter name,
        status and message."""
        import xarray as xr

        if not self.branches:
            raise ValueError("to_xarray: the continuation has no branch")
        lam = np.concatenate([b.lam for b in self.branches])
        x = np.concatenate([b.x for b in self.branches], axis=0)
        bid = np.concatenate([np.full(b.m, k) for k, b in enumerate(self.branches)])
        neurons = self.branches[0].neurons
        names = ([self.neuron_names[int(i)] for i in neurons] if self.neuron_names
                 else [str(int(i)) for i in neurons])
        data: dict[str, Any] = {
            "lam": ("point", lam),
            "x": (("point", "neuron"), x),
            "branch": ("point", bid),
        }
        if all(b.stable is not None for b in self.branches):
            data["stable"] = ("point", np.concatenate([b.stable for b in self.branches]))
        if all(b.eigenvalues is not None for b in self.branches):
            r = min(b.eigenvalues.shape[1] for b in self.branches)
            ev = np.concatenate([b.eigenvalues[:, :r] for b in self.branches])
            data["eig_real"] = (("point", "eig"), ev.real)
            data["eig_imag"] = (("point", "eig"), ev.imag)
        bifs = self.bifurcations
        data["bif_kind"] = ("bifurcation", np.array([b.kind for b in bifs], dtype=str))
        data["bif_lam"] = ("bifurcation", np.array([b.lam for b in bifs], dtype=float))
        data["bif_branch"] = ("bifurcation", np.array([b.branch for b in bifs], dtype=int))
        data["bif_x"] = (("bifurcation", "neuron"),
                         np.array([b.x for b in bifs], dtype=float).reshape(len(bifs), len(names)))
        ds = xr.Dataset(data, coords={"neuron": names})
        ds["lam"].attrs["long_name"] = self.parameter
        ds.attrs.update({"parameter": self.parameter, "method": self.method,
                         "status": self.status, "message": self.message,
                         "span": list(self.span), "success": int(self.success),
                         "single_valued": -1 if self.single_valued is None
                         else int(self.single_valued)})
        return ds

    def to_netcdf(self, path: str | Path) -> Path:
        """Write :meth:`to_xarray` as NetCDF (netCDF4 engine); returns the path."""
        p = Path(path)
        self.to_xarray().to_netcdf(p, engine="netcdf4")
        return p

    def summary(self) -> str:
        """A few lines: branches, folds, Hopf points, status."""
        lines = [f"{self.method} continuation in {self.parameter} over "
                 f"[{self.span[0]:g}, {self.span[1]:g}]: {len(self.branches)} branch(es), "
                 f"{sum(b.m for b in self.branches)} points; status {self.status}"]
        for kind in ("fold", "hopf", "branch_point"):
            pts = self.of_kind(kind)
            if pts:
                more = f", … {len(pts) - 12} more" if len(pts) > 12 else ""
                lines.append(f"{kind}: " + ", ".join(f"{self.parameter} = {b.lam:.10g}"
                                                      for b in pts[:12]) + more)
        nb = len(self.of_kind("border"))
        if nb:
            lines.append(f"border: {nb} change(s) of active set")
        lines.append(self.message)
        return "\n".join(lines)
