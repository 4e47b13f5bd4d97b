"""Standard circuits as builders of plain :class:`~eicircuits.Network` objects; what they compute.

Builders
--------
wilson_cowan        -- two populations E and I (docs/theory.md §5)
lateral_inhibition  -- ``m`` E neurons competing through shared or local inhibition
cortical_column     -- layers of the motif, feedforward (and optional feedback)
random_ei           -- random Dale-law E–I networks, ``W − I`` LDS by construction
ssn                 -- the two-population stabilised supralinear network (Rubin et al. 2015)

Analyses
--------
wilson_cowan_regime, wilson_cowan_equilibria, paradoxical_response, hopf_ratio
wilson_cowan_classify -- one circuit's regime with its evidence (simulation where needed)
ssn_isn_transition  -- the input where an SSN becomes inhibition-stabilised (docs/theory.md §9)
shared_inhibition_equilibrium, motif_r, local_differential_gain
winner_depth, layered_winner_depth, layer_contrasts, layer_groups
contrast, contrast_gain, differential_gain, sensitivity, winner, report_section

DEFAULT_COLUMN is the built-in default circuit of ``eicircuits analyze``.

Examples
--------
>>> from eicircuits.circuits import cortical_column, DEFAULT_COLUMN
>>> cortical_column(**DEFAULT_COLUMN).n
24
"""

from __future__ import annotations

from .analysis import (
    contrast,
    contrast_gain,
    differential_gain,
    layer_contrasts,
    report_section,
    response,
    sensitivity,
    solve_equilibrium,
    winner,
)
from .builders import majorant_bound, random_ei
from .column import (
    DEFAULT_COLUMN,
    cortical_column,
    layer_groups,
    layered_winner_depth,
    winner_depth,
)
from .motif import (
    WaterFilling,
    lateral_inhibition,
    local_differential_gain,
    motif_r,
    shared_inhibition_equilibrium,
)
from .ssn import RVM2015, ISNTransition, ssn, ssn_isn_transition
from .wilson_cowan import (
    REGIMES,
    WCEquilibrium,
    WCRegime,
    hopf_ratio,
    paradoxical_response,
    wilson_cowan,
    wilson_cowan_classify,
    wilson_cowan_equilibria,
    wilson_cowan_regime,
)

__all__ = [
    "wilson_cowan",
    "ssn",
    "ssn_isn_transition",
    "ISNTransition",
    "RVM2015",
    "lateral_inhibition",
    "cortical_column",
    "random_ei",
    "wilson_cowan_regime",
    "wilson_cowan_classify",
    "WCRegime",
    "wilson_cowan_equilibria",
    "paradoxical_response",
    "hopf_ratio",
    "REGIMES",
    "WCEquilibrium",
    "shared_inhibition_equilibrium",
    "WaterFilling",
    "motif_r",
    "local_differential_gain",
    "winner_depth",
    "layered_winner_depth",
    "layer_groups",
    "layer_contrasts",
    "contrast",
    "contrast_gain",
    "differential_gain",
    "sensitivity",
    "winner",
    "response",
    "solve_equilibrium",
    "report_section",
    "majorant_bound",
    "DEFAULT_COLUMN",
]
