"""The array kernel: state, parameters and one pure function per mechanism.

The kernel knows nothing of Mesa, pandas, files or plots. Both drivers, the Mesa model
(:class:`influence_sim.InfluenceModel`, batch 1) and the ensemble (batch N), call these functions,
so every equation lives in one place.
"""

from influence_sim.kernel.arrays import (
    DOMAINS,
    ECON,
    REST_OF_WORLD,
    SEC,
    Dims,
    FloatArray,
    Params,
    State,
)
from influence_sim.kernel.step import StepOutput, demand_of, step

__all__ = [
    "DOMAINS",
    "ECON",
    "REST_OF_WORLD",
    "SEC",
    "Dims",
    "FloatArray",
    "Params",
    "State",
    "StepOutput",
    "demand_of",
    "step",
]
