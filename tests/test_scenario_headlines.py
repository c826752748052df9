"""Every shock scenario of the library moves its headline visibly, by its mechanism.

Each scenario is run against the one it extends with the same seeds (common random numbers); its
headline (a regional share the scenario is about) must move by at least a point (0.01) by the end
of the run, in the direction its mechanism says.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import influence_sim as ism
from influence_sim.kernel.observables import regional_share

ROOT = Path(__file__).resolve().parents[1] / "scenarios"

# scenario, the scenario it is compared with, headline partner, domain, direction
HEADLINES = [
    ("afghan_takeover", "baseline", "china", "security", +1),
    ("russia_sanctions_2022", "afghan_takeover", "russia", "security", -1),
    ("china_security_push", "afghan_takeover", "china", "security", +1),
    ("us_reengagement", "baseline", "united_states", "security", +1),
    ("sino_russian_split", "baseline", "russia", "economic", +1),
    ("turkey_enters", "baseline", "china", "security", -1),
]


def _final_regional(name: str) -> tuple[np.ndarray, tuple[str, ...]]:
    # at the point estimates: under posterior draws turkey_enters' effect on China's security
    # share changes sign with the draws (docs/estimation.md)
    results = ism.run(ROOT / f"{name}.yaml", seed=3, replicates=6, posterior=False)
    out = results.output
    region = regional_share(out.share[-1], out.volume[-1]).mean(axis=0)
    return region, out.dims.partners


@pytest.mark.parametrize(("scenario", "reference", "partner", "domain", "sign"), HEADLINES)
def test_the_headline_moves_by_at_least_a_point(scenario, reference, partner, domain, sign):
    shocked, partners = _final_regional(scenario)
    base, base_partners = _final_regional(reference)
    d = 0 if domain == "economic" else 1
    change = shocked[partners.index(partner), d] - base[base_partners.index(partner), d]
    assert sign * change >= 0.01, f"{scenario}: {partner} {domain} moved {change:+.4f}"
