"""The model's mechanisms, one pure array function each.

Each function reads old arrays and returns new ones; none mutates its inputs, reads files, prints
or draws random numbers (noise comes in as an argument, drawn from each run's own generator by
the driver). All take a leading batch axis ``B``; shapes use the names of
:mod:`influence_sim.kernel.arrays`. Rates are per year and ``dt`` is the step length in years,
so results do not depend on the step length beyond discretisation error.

:data:`MECHANISM_TABLE` gives each mechanism its one name: the letter of ``docs/ODD.md`` and of
the parameters, the name used in the documents and by the knockouts of
:mod:`influence_sim.analysis.attribution`, and the functions of this module that compute it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from influence_sim.kernel.arrays import ECON, SEC, FloatArray, GravityWeights

# regional_share lives in kernel.observables; it stays importable from here for one release
from influence_sim.kernel.observables import regional_share

_LETTERS = "abcdefgh"


@dataclass(frozen=True)
class Mechanism:
    """One mechanism of the model under its names.

    Attributes:
        letter: Its letter in ``docs/ODD.md`` (sections 3 and 7) and in
            :attr:`influence_sim.parameters.ParameterSpec.mechanism`.
        name: Its name, also the name of the knockout that switches it off.
        title: What it does, in words (as in the ODD's section headings).
        functions: The functions of this module that compute it.
        knockouts: Knockouts that switch it off, whole (the one called ``name``, when there is
            one) or in part (a part may belong to several mechanisms; arms demand has no
            knockout of its own, only its rise with threat is switched off).
    """

    letter: str
    name: str
    title: str
    functions: tuple[str, ...]
    knockouts: tuple[str, ...]


MECHANISM_TABLE: tuple[Mechanism, ...] = (
    Mechanism("a", "threat", "threat", ("update_threat", "steady_threat"), ("threat",)),
    Mechanism(
        "b",
        "arms_demand",
        "arms demand",
        ("security_demand", "zero_threat_arms", "log_zero_threat_arms"),
        ("threat",),
    ),
    Mechanism("c", "offers", "offers", ("allocate_offers",), ("offers", "threat")),
    Mechanism(
        "d",
        "gravity",
        "trade by gravity",
        (
            "treaty_ties",
            "customs_channel",
            "gravity_equilibrium",
            "gravity_residual",
            "adjust_volumes",
            "softmax_partners",
            "softmax_residual",
        ),
        ("gravity", "hedging", "stickiness", "infrastructure", "sanctions_channels", "offers"),
    ),
    Mechanism(
        "e",
        "division_of_labour",
        "division of labour: coordination, restraint, competition and trust",
        (
            "accepted_share",
            "coordination_equilibrium",
            "update_coordination",
            "restraint",
            "update_trust",
        ),
        ("division_of_labour", "coordination_motives", "threat", "sanctions_channels"),
    ),
    Mechanism("f", "spillover", "spillover", ("update_credibility",), ("spillover",)),
    Mechanism("g", "capacity", "capacity", ("grow_capacity",), ("capacity",)),
    Mechanism("h", "drivers", "drivers", ("grow_size",), ("drivers",)),
    Mechanism(
        "i",
        "arms_market",
        "the arms market",
        (
            "supplier_attraction",
            "supplier_standing",
            "sign_contracts",
            "deliver_arms",
            "steady_backlog",
            "smooth_arms",
            "softmax_partners",
            "softmax_residual",
            "softmax_residual_gap",
        ),
        ("arms_market", "hedging", "stickiness", "threat", "offers", "spillover"),
    ),
)
"""Every mechanism by letter, name, kernel functions and knockouts; ``docs/ODD.md`` lists it."""


def axis_sum(a: FloatArray, axis: int, keepdims: bool = False) -> FloatArray:
    """Sum over one axis, fast for the short entity axes of the kernel.

    NumPy's reduction over a short inner axis of a batched array is several times slower than
    the same sum written as an ``einsum``; the result is the same up to rounding order.

    Args:
        a: Array.
        axis: Axis to sum over (non-negative).
        keepdims: Keep the summed axis with length 1.

    Returns:
        The sum.
    """
    letters = _LETTERS[: a.ndim]
    out: FloatArray = np.einsum(f"{letters}->{letters.replace(letters[axis], '')}", a)
    return np.expand_dims(out, axis) if keepdims else out


def axis_max(a: FloatArray, axis: int, keepdims: bool = False) -> FloatArray:
    """Maximum over one short axis, as an elementwise maximum of its slices.

    Args:
        a: Array.
        axis: Axis to reduce (non-negative).
        keepdims: Keep the reduced axis with length 1.

    Returns:
        The maximum.
    """
    out = np.take(a, 0, axis=axis)
    for i in range(1, a.shape[axis]):
        out = np.maximum(out, np.take(a, i, axis=axis))
    return np.expand_dims(out, axis) if keepdims else out


def step_fraction(rate_per_year: FloatArray, dt: float) -> FloatArray:
    """Convert an annual closing fraction into the fraction closed in one step.

    Equation: ``f = 1 - (1 - r) ** dt`` for a rate ``r`` in [0, 1) per year.

    Args:
        rate_per_year: Fraction of a gap closed in one year (any shape).
        dt: Step length in years.

    Returns:
        Fraction of the gap closed in one step, same shape.
    """
    r = np.clip(rate_per_year, 0.0, 1.0)
    return 1.0 - (1.0 - r) ** dt


def update_threat(
    threat: FloatArray,
    instability: FloatArray,
    exposure: FloatArray,
    halflife_years: FloatArray,
    dt: float,
) -> FloatArray:
    """Mechanism a (threat): perceived threat follows Afghan instability, by border exposure.

    Equation: ``θ' = θ + (1 - 2 ** (-dt / h)) * (e * I - θ)``, where ``e`` is the state's
    exposure, ``I`` the instability and ``h`` the half-life of threat memory: after a jump in
    ``I``, half the gap to the new level ``e * I`` closes in ``h`` years.

    Args:
        threat: ``(B, S)`` threat perception.
        instability: ``(B,)`` Afghan instability in [0, 1].
        exposure: ``(B, S)`` exposure of each state in [0, 1].
        halflife_years: ``(B,)`` half-life of threat memory in years (> 0).
        dt: Step length in years.

    Returns:
        ``(B, S)`` new threat perception.
    """
    level = steady_threat(exposure, instability)
    keep = 2.0 ** (-dt / np.maximum(halflife_years, 1e-9))
    return level + keep[:, None] * (threat - level)


def steady_threat(exposure: FloatArray, instability: FloatArray) -> FloatArray:
    """Mechanism a (threat): the level threat perception settles at while instability holds.

    Equation: ``θ* = e * I``, the level :func:`update_threat` moves toward; a run starts there
    (:mod:`influence_sim.initial`) and the arms-demand estimate takes it as the threat of the
    panel's windows.

    Args:
        exposure: ``(B, S)`` exposure of each state in [0, 1].
        instability: ``(B,)`` Afghan instability in [0, 1].

    Returns:
        ``(B, S)`` steady threat perception.
    """
    out: FloatArray = exposure * instability[:, None]
    return out


def security_demand(
    arms_base: FloatArray, threat: FloatArray, elasticity: FloatArray
) -> FloatArray:
    """Mechanism b (demand, security): arms imports rise with threat.

    Equation: ``A = A0 * (1 + η θ)`` with ``A0`` the zero-threat arms imports and ``η`` the
    elasticity.

    Args:
        arms_base: ``(B, S)`` zero-threat arms imports, USD bn per year.
        threat: ``(B, S)`` threat perception.
        elasticity: ``(B,)`` security demand elasticity.

    Returns:
        ``(B, S)`` arms imports, USD bn per year.
    """
    return arms_base * (1.0 + elasticity[:, None] * threat)


def zero_threat_arms(propensity: FloatArray, gdp: FloatArray, elasticity: FloatArray) -> FloatArray:
    """Mechanism b (demand, security): arms imports at zero threat, from GDP.

    Equation: ``A0 = exp(a) Y ** e`` with ``a`` the state's arms propensity and ``e`` the GDP
    elasticity, both estimated from the panel (:func:`influence_sim.estimate.estimate_arms_demand`
    regresses :func:`log_zero_threat_arms`, ``log A - log(1 + η θ)``, on ``log Y``).

    Args:
        propensity: ``(B, S)`` log arms imports at zero threat and GDP 1.
        gdp: ``(B, S)`` GDP, USD bn.
        elasticity: ``(B,)`` GDP elasticity of arms imports.

    Returns:
        ``(B, S)`` zero-threat arms imports, USD bn per year.
    """
    out: FloatArray = np.exp(propensity) * np.maximum(gdp, 1e-12) ** elasticity[:, None]
    return out


def log_zero_threat_arms(
    arms: FloatArray, threat: FloatArray, elasticity: FloatArray
) -> FloatArray:
    """Inverse of :func:`security_demand`, in logs: the zero-threat arms imports behind given ones.

    Equation: ``log A0 = log A - log(1 + η θ)``.

    Args:
        arms: ``(B, S)`` arms imports, USD bn per year (> 0).
        threat: ``(B, S)`` threat perception.
        elasticity: ``(B,)`` security demand elasticity.

    Returns:
        ``(B, S)`` log zero-threat arms imports.
    """
    out: FloatArray = np.log(arms) - np.log(1.0 + elasticity[:, None] * threat)
    return out


def restraint(
    trust: FloatArray, coordination: FloatArray, restraint_max: FloatArray, mask: FloatArray
) -> FloatArray:
    """Mechanism e (division of labour): effort a power holds back in its partner's lead domain.

    Equation: ``R[p, d] = 1 - m[p, d] * r_max * c * T``, where ``m`` is 1 for China's security
    effort and Russia's economic effort (each other's lead domain) and 0 otherwise, ``c`` the
    coordination and ``T`` the trust between the two.

    Args:
        trust: ``(B,)`` China-Russia trust.
        coordination: ``(B,)`` China-Russia coordination.
        restraint_max: ``(B,)`` largest fraction held back.
        mask: ``(P, D)`` restraint mask.

    Returns:
        ``(B, P, D)`` multiplier on each power's effort in each domain.
    """
    level = np.clip(restraint_max * coordination * trust, 0.0, 1.0)
    return 1.0 - mask[None, :, :] * level[:, None, None]


def allocate_offers(
    capacity: FloatArray,
    priority: FloatArray,
    doctrine: FloatArray,
    restraint_factor: FloatArray,
    demand: FloatArray,
    share: FloatArray,
    entry_share: FloatArray,
    noise: FloatArray,
    noise_sd: FloatArray,
    threat: FloatArray | None = None,
    protection_weight: FloatArray | None = None,
    competition: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Mechanism c (offers): each power spends its capacity over states by expected return.

    Equations, for power ``p``, domain ``d`` and state ``s``:

    * effort ``E[p, econ] = π_p C[p, econ] R[p, econ]`` and
      ``E[p, sec] = π_p δ_p C[p, sec] R[p, sec] (1 + λ Θ_p) (1 + Γ_p)``, with priority ``π``,
      doctrine ``δ`` (the security emphasis: the part of its security capacity a power puts
      into the region's arms market), capacity ``C``, restraint ``R`` (mechanism e), the
      protection weight ``λ``, ``Θ_p = Σ_s θ_s V[s,p] / Σ_s V[s,p]`` the threat to the power's
      trade in the region (its stakes, weighted by where they are) and ``Γ_p`` the extra
      security effort of competition (mechanism e, zero unless coordination fails). There is no
      budget shared by the two domains: they draw on two capacities, and a larger security
      emphasis costs no economic effort. They interact through ``Θ`` (trade that needs
      protecting raises security effort) and, in the states' choice, through credibility
      (mechanism f: trade earns security credibility);
    * expected return ``V[s, p, econ] = D[s, econ] (x[s, p, econ] + a) ε`` and
      ``V[s, p, sec] = D[s, sec] (x[s, p, sec] + a + λ θ_s x[s, p, econ]) ε``: the state's
      demand ``D`` times the power's current share ``x`` plus an entry share ``a`` (and, for
      security, its trade share where that trade is threatened), with log-normal noise
      ``ε = exp(σ z)``, ``z`` standard normal;
    * offer ``O[s, p, d] = E[p, d] * V[s, p, d] / Σ_s' V[s', p, d]`` (a power whose ``V`` is
      zero everywhere spreads its effort by demand ``D`` alone, so effort is always spent).

    Args:
        capacity: ``(B, P, D)`` capacities.
        priority: ``(B, P)`` regional priority.
        doctrine: ``(B, P)`` security emphasis in [0, 1].
        restraint_factor: ``(B, P, D)`` from :func:`restraint`.
        demand: ``(B, S, D)`` trade and arms imports, USD bn per year.
        share: ``(B, S, K, D)`` current shares.
        entry_share: ``(B,)`` entry share ``a``.
        noise: ``(B, S, P, D)`` standard normal draws ``z``.
        noise_sd: ``(B,)`` log-sd ``σ``.
        threat: ``(B, S)`` threat perception (None: no protection motive).
        protection_weight: ``(B,)`` ``λ`` (None: 0).
        competition: ``(B, P)`` ``Γ`` (None: 0).

    Returns:
        ``(offers, effort)``: ``(B, S, P, D)`` offers and ``(B, P, D)`` effort.
    """
    n_powers = capacity.shape[1]
    emphasis = np.stack([np.ones_like(doctrine), doctrine], axis=-1)
    effort = priority[:, :, None] * emphasis * capacity * restraint_factor
    x = share[:, :, :n_powers, :] + entry_share[:, None, None, None]
    if threat is not None and protection_weight is not None:
        trade_volume = demand[:, :, None, 0] * share[:, :, :n_powers, 0]
        total = axis_sum(trade_volume, 1)
        stake_threat = np.einsum("bs,bsp->bp", threat, trade_volume) / np.where(
            total > 0.0, total, 1.0
        )
        effort[:, :, 1] *= 1.0 + protection_weight[:, None] * stake_threat
        x[..., 1] += (
            protection_weight[:, None, None] * threat[:, :, None] * share[:, :, :n_powers, 0]
        )
    if competition is not None:
        effort[:, :, 1] *= 1.0 + competition
    sd = noise_sd[:, None, None, None]
    eps = np.exp(sd * noise)
    value = demand[:, :, None, :] * x * eps
    total_value = axis_sum(value, 1, keepdims=True)
    if np.all(total_value > 0.0):
        alloc = value / total_value
    else:
        # A power expecting nothing anywhere (no share, no entry share) spreads by demand alone.
        fallback = np.broadcast_to(demand[:, :, None, :], value.shape)
        fallback_total = axis_sum(fallback, 1, keepdims=True)
        alloc = np.where(
            total_value > 0.0,
            value / np.where(total_value > 0.0, total_value, 1.0),
            fallback / np.where(fallback_total > 0.0, fallback_total, 1.0),
        )
    return effort[:, None, :, :] * alloc, effort


def supplier_attraction(
    offers: FloatArray,
    share: FloatArray,
    ties: FloatArray,
    hedging: FloatArray,
    threat: FloatArray,
    presence: FloatArray,
    credibility: FloatArray,
    offer_sensitivity: FloatArray,
    hedging_weight: FloatArray,
    tie_weight: FloatArray,
    presence_weight: FloatArray,
    credibility_weight: FloatArray,
) -> FloatArray:
    """Mechanism i (arms market), demand side: what makes an arms supplier attractive.

    Equation, for state ``s`` and supplier ``k`` (rest of world has no offer term, no hedging
    penalty, no presence and no credibility)::

        U[s,k] = β_sec log O[s,k] + ω_tie L[s,k] - κ h_s x[s,k] + ω_pres θ_s M[s,k]
                 + ω_cred Q[s,k]

    with security offers ``O`` (arms on credit, training, terms), security treaty ties ``L``
    (the CSTO's preferential terms for Russian arms, the SCO), hedging ``h`` against the current
    share ``x`` (so more hedging penalises concentration on a dominant supplier), threat ``θ``,
    military presence ``M`` and credibility ``Q`` (mechanism f). The step adds the supplier's
    standing (:func:`supplier_standing`), the exclusion of third powers and the residual.

    Args:
        offers: ``(B, S, P)`` security offers.
        share: ``(B, S, K)`` current security shares.
        ties: ``(B, S, K)`` security treaty ties.
        hedging: ``(B, S)`` hedging propensity.
        threat: ``(B, S)`` threat perception.
        presence: ``(B, S, P)`` military presence.
        credibility: ``(B, S, P)`` security credibility.
        offer_sensitivity: ``(B,)`` ``β_sec``.
        hedging_weight: ``(B,)`` ``κ``.
        tie_weight: ``(B,)`` ``ω_tie``.
        presence_weight: ``(B,)`` ``ω_pres``.
        credibility_weight: ``(B,)`` ``ω_cred``.

    Returns:
        ``(B, S, K)`` explained attraction.
    """
    n_powers = offers.shape[2]
    b3 = (slice(None), None, None)
    power_terms = (
        offer_sensitivity[b3] * np.log(np.maximum(offers, 1e-300))
        - (hedging_weight[:, None] * hedging)[:, :, None] * share[:, :, :n_powers]
        + presence_weight[b3] * threat[:, :, None] * presence
        + credibility_weight[b3] * credibility
    )
    utility: FloatArray = tie_weight[b3] * ties
    utility[:, :, :n_powers] += power_terms
    return utility


def softmax_partners(utility: FloatArray) -> FloatArray:
    """Logit choice over partners (axis 2), numerically stable.

    Equation: ``x*[k] = exp(U[k]) / Σ_j exp(U[j])``.

    Args:
        utility: ``(B, S, K, D)`` attraction.

    Returns:
        ``(B, S, K, D)`` shares on the simplex.
    """
    z = utility - axis_max(utility, 2, keepdims=True)
    e = np.exp(z)
    out: FloatArray = e / axis_sum(e, 2, keepdims=True)
    return out


def softmax_residual(share: FloatArray, utility: FloatArray) -> FloatArray:
    """Inverse of :func:`softmax_partners`: the residual that makes given shares the choice.

    Equation: ``r[k] = log(x[k] / x[K]) - (U[k] - U[K])`` with ``K`` the last partner (rest of
    world, whose residual is the reference); adding ``r`` to ``U`` makes ``x`` the logit choice.
    0 where ``x[k]`` is 0 (no share to match).

    Args:
        share: ``(..., K)`` shares to match (``x[K] > 0``).
        utility: ``(..., K)`` attraction without the residual.

    Returns:
        ``(..., K)`` residuals.
    """
    has = share > 0.0
    odds = np.log(np.where(has, share, 1.0) / share[..., -1:])
    out: FloatArray = np.where(has, odds - (utility - utility[..., -1:]), 0.0)
    return out


def softmax_residual_gap(observed: FloatArray, model: FloatArray, floor: float) -> FloatArray:
    """Inverse of :func:`softmax_partners` for a fit: the residual change that moves shares.

    Equation: ``Δr[k] = ρ[k] - ρ[K]`` with
    ``ρ[k] = log max(x_obs[k], x_min Σ_j x_obs[j]) - log max(x[k], 1e-12)`` and ``K`` the last
    partner (rest of world, the reference): the difference of :func:`softmax_residual` at the
    observed and at the model's shares, ``log(x_obs[k] / x_obs[K]) - log(x[k] / x[K])``, so
    adding ``Δr`` to the residual moves the logit choice from ``x`` to ``x_obs``. An observed
    share is floored at ``x_min`` of the observed total (a supplier the panel does not record
    keeps a finite log odds), a model share at 1e-12. The shares may be volume-weighted sums
    over windows (any common scale: only ratios matter).

    Args:
        observed: ``(..., K)`` observed shares (or volumes) to match.
        model: ``(..., K)`` the model's shares (or volumes), same shape.
        floor: ``x_min``, the smallest observed share, as a fraction of the observed total.

    Returns:
        ``(..., K)`` residual changes, 0 for the reference partner.
    """
    ratio = np.log(np.maximum(observed, floor * observed.sum(axis=-1, keepdims=True)))
    ratio = ratio - np.log(np.maximum(model, 1e-12))
    out: FloatArray = ratio - ratio[..., -1:]
    return out


def adjust_shares(
    share: FloatArray,
    equilibrium: FloatArray,
    rate_economic: FloatArray,
    rate_security: FloatArray,
    ties: FloatArray,
    stickiness: FloatArray,
    dt: float,
) -> FloatArray:
    """Shares move part of the way to their equilibrium values (no longer used by the step).

    The step moves trade volumes in logs (:func:`adjust_volumes`) and the security shares as a
    moving window of deliveries (:func:`smooth_arms`); this share-based adjustment is kept for
    code that calls it, and is not part of any mechanism of :data:`MECHANISM_TABLE`.

    Equation: ``x' = x + f * (x* - x)`` with ``f = 1 - (1 - r_d (1 - ς max_k L[s,k,d])) ** dt``:
    the annual rate ``r_d`` (economics faster than security) is slowed by institutional
    stickiness ``ς`` in proportion to the state's strongest treaty tie in that domain. As a
    convex combination of two simplex points the result stays on the simplex.

    Args:
        share: ``(B, S, K, D)`` current shares.
        equilibrium: ``(B, S, K, D)`` equilibrium shares ``x*``.
        rate_economic: ``(B,)`` annual adjustment rate of trade shares.
        rate_security: ``(B,)`` annual adjustment rate of security shares.
        ties: ``(B, S, K, D)`` treaty ties.
        stickiness: ``(B,)`` ``ς`` in [0, 1].
        dt: Step length in years.

    Returns:
        ``(B, S, K, D)`` new shares.
    """
    rate = np.stack([rate_economic, rate_security], axis=-1)[:, None, :]
    strongest = np.clip(axis_max(ties, 2), 0.0, 1.0)
    slowed = rate * (1.0 - stickiness[:, None, None] * strongest)
    frac = step_fraction(slowed, dt)[:, :, None, :]
    new = share + frac * (equilibrium - share)
    new = np.maximum(new, 0.0)
    out: FloatArray = new / axis_sum(new, 2, keepdims=True)
    return out


def update_credibility(
    credibility: FloatArray, economic_share: FloatArray, rate: FloatArray, dt: float
) -> FloatArray:
    """Mechanism f (spillover): economic weight slowly turns into security credibility.

    Equation: ``Q' = Q + (1 - (1 - φ) ** dt) * (x_econ - Q)``: credibility follows a power's
    economic share in the state with annual rate ``φ``.

    Args:
        credibility: ``(B, S, P)`` credibility.
        economic_share: ``(B, S, P)`` economic shares of the powers.
        rate: ``(B,)`` spillover rate ``φ``.
        dt: Step length in years.

    Returns:
        ``(B, S, P)`` new credibility.
    """
    frac = step_fraction(rate, dt)[:, None, None]
    return credibility + frac * (economic_share - credibility)


def update_trust(
    trust: FloatArray,
    china_security_share: FloatArray,
    tolerance: FloatArray,
    erosion: FloatArray,
    recovery: FloatArray,
    dt: float,
) -> FloatArray:
    """Mechanism e (division of labour): trust erodes as China's security role outgrows tolerance.

    Equation: ``T' = clip(T + dt * (ν (1 - T) - μ max(0, X_C - τ)), 0, 1)``, with ``X_C`` China's
    regional security share (arms-import weighted), ``τ`` the share Russia tolerates, ``μ`` the
    erosion rate and ``ν`` the (slow) recovery rate.

    Args:
        trust: ``(B,)`` trust.
        china_security_share: ``(B,)`` China's regional security share.
        tolerance: ``(B,)`` ``τ``.
        erosion: ``(B,)`` ``μ`` per year per unit of excess share.
        recovery: ``(B,)`` ``ν`` per year.
        dt: Step length in years.

    Returns:
        ``(B,)`` new trust.
    """
    excess = np.maximum(china_security_share - tolerance, 0.0)
    change = recovery * (1.0 - trust) - erosion * excess
    return np.clip(trust + dt * change, 0.0, 1.0)


def grow_capacity(
    capacity: FloatArray,
    growth: FloatArray,
    return_rate: FloatArray,
    regional_share: FloatArray,
    dt: float,
) -> FloatArray:
    """Mechanism g (capacity): capacities grow exogenously and with returns from influence.

    Equation: ``C'[p, d] = C[p, d] * exp(dt * (g[p, d] + ρ X[p, d]))``, with ``g`` the
    power's growth in the domain (the driver of the step's year plus any departure a scenario
    sets), ``ρ`` the return rate and ``X[p, d]`` its regional share in domain ``d``. Shocks
    such as sanctions act on ``C`` directly (scenario ``scale`` ops).

    Args:
        capacity: ``(B, P, D)`` capacities.
        growth: ``(B, P, D)`` log growth per year.
        return_rate: ``(B,)`` ``ρ``.
        regional_share: ``(B, P, D)`` regional shares of the powers.
        dt: Step length in years.

    Returns:
        ``(B, P, D)`` new capacities.
    """
    rate = growth + return_rate[:, None, None] * regional_share
    return capacity * np.exp(dt * rate)


def grow_size(size: FloatArray, growth: FloatArray, dt: float) -> FloatArray:
    """Mechanism h (drivers): economies grow at their driver rates.

    Equation: ``Y' = Y exp(dt g)``, with ``g`` the log growth of the step's year (from the
    country panel up to its last year, then an assumed trend) plus any departure a scenario
    sets. Shocks that scale ``Y`` keep their effect, as growth is multiplicative.

    Args:
        size: GDP of each state ``(B, S)`` (or capacity of each power, any shape).
        growth: Log growth per year, same shape.
        dt: Step length in years.

    Returns:
        New sizes, same shape.
    """
    return size * np.exp(dt * growth)


def gravity_equilibrium(
    gdp: FloatArray,
    partner_size: FloatArray,
    ties: FloatArray,
    infrastructure: FloatArray,
    offers: FloatArray,
    share: FloatArray,
    hedging: FloatArray,
    sanctions: FloatArray,
    eaeu: FloatArray,
    residual: FloatArray,
    weights: GravityWeights,
) -> FloatArray:
    """Mechanism d (trade by gravity): the trade a state would have with each partner.

    Equation, for state ``s`` and partner ``k`` (log of USD bn per year)::

        log T*[s,k] = γ_s log Y_s + γ_k log Y_k [k a power] + ω_tie L[s,k] + ω_inf I[s,k]
                      + β log O[s,k] - κ h_s x[s,k] - (ω_pen - ω_div e[s,k]) σ_k + r[s,k]

    with GDP ``Y`` (the power's economic capacity for a partner), treaty ties ``L`` (the
    EAEU customs union), infrastructure ``I`` (pipelines and corridors, dated), economic
    offers ``O`` (investment and credit), hedging ``h`` against the current share ``x``,
    sanctions ``σ`` on a power (a direct penalty ``ω_pen`` on trade with it, and diversion
    ``ω_div`` through states ``e[s, k]`` in a customs union with it, the EAEU members for
    Russia: re-exports to the sanctioned power and parallel imports; the matching purchases
    from the rest of the world, at most the diverted volume, are not added) and the residual
    ``r`` estimated from the country panel (:mod:`influence_sim.estimate`). Rest of world has
    no size, offer or hedging term.

    Args:
        gdp: ``(B, S)`` GDP, USD bn.
        partner_size: ``(B, P)`` economic capacity of the powers (GDP, USD trn).
        ties: ``(B, S, K)`` economic treaty ties.
        infrastructure: ``(B, S, P)`` infrastructure with each power, 0-1.
        offers: ``(B, S, P)`` economic offers.
        share: ``(B, S, K)`` current trade shares.
        hedging: ``(B, S)`` hedging propensity.
        sanctions: ``(B, P)`` sanctions on each power, 0-1.
        eaeu: ``(B, S, P)`` 1 where a state is in a customs union with a power
            (:func:`customs_channel`), or ``(B, S)``, 1 for the
            states that are, with every power.
        residual: ``(B, S, K)`` residual attraction, log units.
        weights: The weights, each ``(B,)``.

    Returns:
        ``(B, S, K)`` log equilibrium trade, log USD bn per year.
    """
    w = weights
    n_powers = partner_size.shape[1]
    out = w.gdp_elasticity[:, None, None] * np.log(np.maximum(gdp, 1e-12))[:, :, None]
    out = out + w.tie_weight[:, None, None] * ties + residual
    power = (
        w.partner_elasticity[:, None, None] * np.log(np.maximum(partner_size, 1e-12))[:, None, :]
        + w.infrastructure_weight[:, None, None] * infrastructure
        + w.offer_sensitivity[:, None, None] * np.log(np.maximum(offers, 1e-300))
        - (w.hedging_weight[:, None] * hedging)[:, :, None] * share[:, :, :n_powers]
        - w.sanctions_penalty[:, None, None] * sanctions[:, None, :]
    )
    channel = eaeu if eaeu.ndim == 3 else eaeu[:, :, None]
    diverted = w.diversion_weight[:, None, None] * channel * sanctions[:, None, :]
    out[:, :, :n_powers] += power + diverted
    return out


def gravity_residual(volume: FloatArray, log_equilibrium: FloatArray) -> FloatArray:
    """Inverse of :func:`gravity_equilibrium`: the residual that makes volumes equilibrium trade.

    Equation: ``r = log T0 - log T*|r=0``; adding ``r`` to the residual of the gravity
    equation makes ``T0`` its equilibrium value. 0 where ``T0`` is 0 (no trade to match).

    Args:
        volume: ``(...)`` trade volumes to match, USD bn per year.
        log_equilibrium: ``(...)`` log equilibrium trade of :func:`gravity_equilibrium` without the
            residual.

    Returns:
        ``(...)`` residuals.
    """
    has = volume > 0.0
    out: FloatArray = np.where(has, np.log(np.where(has, volume, 1.0)) - log_equilibrium, 0.0)
    return out


def adjust_volumes(
    volume: FloatArray,
    log_equilibrium: FloatArray,
    rate: FloatArray,
    ties: FloatArray,
    stickiness: FloatArray,
    dt: float,
) -> FloatArray:
    """Mechanism d (trade by gravity), inertia: trade moves part of the way to equilibrium.

    Equation: ``log T' = log T + f (log T* - log T)`` with
    ``f = 1 - (1 - r (1 - ς max_k L[s,k])) ** dt``: the annual rate ``r`` slowed by
    institutional stickiness ``ς`` in proportion to the state's strongest treaty tie. Shares
    are ``T / Σ_k T`` and total trade is ``Σ_k T``: both are outcomes.

    Args:
        volume: ``(B, S, K)`` trade with each partner, USD bn per year (> 0).
        log_equilibrium: ``(B, S, K)`` from :func:`gravity_equilibrium`.
        rate: ``(B,)`` annual adjustment rate.
        ties: ``(B, S, K)`` economic treaty ties.
        stickiness: ``(B,)`` ``ς``.
        dt: Step length in years.

    Returns:
        ``(B, S, K)`` new trade volumes.
    """
    strongest = np.clip(axis_max(ties, 2), 0.0, 1.0)
    slowed = rate[:, None] * (1.0 - stickiness[:, None] * strongest)
    frac = step_fraction(slowed, dt)[:, :, None]
    log_v = np.log(np.maximum(volume, 1e-12))
    out: FloatArray = np.exp(log_v + frac * (log_equilibrium - log_v))
    return out


def supplier_standing(capacity: FloatArray, weight: FloatArray) -> FloatArray:
    """Mechanism i (arms market), supply side: a supplier's standing from its export capacity.

    Equation: ``S[p] = ω_cap log C[p, sec]``: a supplier that can deliver more (a larger arms
    industry and export capacity) is more attractive; when its capacity falls (sanctions, a
    war drawing on production) states turn to other suppliers.

    Args:
        capacity: ``(B, P)`` security capacity of each power.
        weight: ``(B,)`` ``ω_cap``.

    Returns:
        ``(B, P)`` standing, log units.
    """
    out: FloatArray = weight[:, None] * np.log(np.maximum(capacity, 1e-12))
    return out


def sign_contracts(
    demand: FloatArray,
    z: FloatArray,
    contract_rate: FloatArray,
    lumpiness: FloatArray,
    dt: float,
) -> FloatArray:
    """Mechanism i (arms market): arms are bought in contracts, lumpy in time.

    Equation: ``N_s = A_s dt J_s`` with ``J = (1 - l) + l 1[z > q] / p``, where ``p = min(1,
    λ dt)`` is the chance that a state signs a contract in a step (``λ`` contracts a year),
    ``q`` the standard normal quantile with ``P(z > q) = p`` and ``l`` the lumpiness. The
    mean of ``J`` is 1 whatever ``l``, so lumpiness changes the timing of purchases, not
    their level; ``l = 0`` buys smoothly every step.

    Args:
        demand: ``(B, S)`` arms demand ``A``, USD bn per year.
        z: ``(B, S)`` standard normal draws.
        contract_rate: ``(B,)`` ``λ``, contracts per year.
        lumpiness: ``(B,)`` ``l`` in [0, 1].
        dt: Step length in years.

    Returns:
        ``(B, S)`` value of the contracts signed in the step, USD bn.
    """
    p = np.clip(contract_rate * dt, 1e-6, 1.0)
    q = _normal_quantile(1.0 - p)
    signed = (z > q[:, None]) / p[:, None]
    jump = (1.0 - lumpiness[:, None]) + lumpiness[:, None] * signed
    out: FloatArray = demand * dt * jump
    return out


def _normal_quantile(u: FloatArray) -> FloatArray:
    """Standard normal quantile of each element of ``u`` (0 maps to -inf, 1 to +inf)."""
    from statistics import NormalDist

    dist = NormalDist()
    values, index = np.unique(np.asarray(u, float).ravel(), return_inverse=True)
    table = np.array(
        [-np.inf if v <= 0.0 else np.inf if v >= 1.0 else dist.inv_cdf(v) for v in values],
        dtype=float,
    )
    out: FloatArray = table[index].reshape(np.shape(u))
    return out


def deliver_arms(
    backlog: FloatArray, orders: FloatArray, lead_years: FloatArray, dt: float
) -> tuple[FloatArray, FloatArray]:
    """Mechanism i (arms market): contracts are delivered after a lead time.

    Equations: ``B^+ = B + N x*`` (new contracts split over suppliers by the supplier mix
    ``x*``), deliveries ``Δ = B^+ (1 - exp(-dt / L))`` with mean lead time ``L`` years, and
    ``B' = B^+ - Δ``.

    Args:
        backlog: ``(B, S, K)`` contracted arms not yet delivered, USD bn.
        orders: ``(B, S, K)`` contracts signed in the step by supplier, USD bn.
        lead_years: ``(B,)`` ``L``.
        dt: Step length in years.

    Returns:
        ``(backlog, deliveries)``, both ``(B, S, K)`` in USD bn.
    """
    total = backlog + orders
    frac = 1.0 - np.exp(-dt / np.maximum(lead_years, 1e-6))
    delivered = total * frac[:, None, None]
    return total - delivered, delivered


def steady_backlog(share: FloatArray, flow: FloatArray, lead_years: FloatArray) -> FloatArray:
    """Mechanism i (arms market): the backlog at which deliveries equal new contracts.

    Equation: ``G*[k] = x[k] (F L)``: with contracts of ``F`` a year split by the supplier mix
    ``x`` and a mean lead time of ``L`` years, :func:`deliver_arms` delivers ``G* / L = x F``
    a year from this backlog, as much as comes in (exactly in the limit of short steps). A
    run starts there, and a run's overrides re-derive it (:mod:`influence_sim.initial`).

    Args:
        share: ``(B, S, K)`` supplier mix (security shares).
        flow: ``(B, S)`` arms flow ``F``, USD bn per year.
        lead_years: ``(B,)`` ``L``.

    Returns:
        ``(B, S, K)`` steady backlog, USD bn.
    """
    out: FloatArray = share * (flow * lead_years[:, None])[:, :, None]
    return out


def smooth_arms(
    flow: FloatArray, share: FloatArray, delivered: FloatArray, rate: FloatArray, dt: float
) -> tuple[FloatArray, FloatArray]:
    """Mechanism i (arms market): the security share is a moving window of deliveries.

    Equations: ``W[k] = x[k] F``, ``W'[k] = W[k] + f (Δ[k] / dt - W[k])`` with
    ``f = 1 - (1 - r) ** dt``, then ``F' = Σ_k W'[k]`` and ``x' = W' / F'``: the arms flow
    ``F`` (USD bn per year) and the supplier shares ``x`` are an exponentially weighted
    window of deliveries, like the five-year windows of arms-transfer statistics (``r`` near
    0.3 a year gives a mean age of about three years).

    Args:
        flow: ``(B, S)`` arms flow ``F``.
        share: ``(B, S, K)`` security shares.
        delivered: ``(B, S, K)`` deliveries in the step, USD bn.
        rate: ``(B,)`` ``r``.
        dt: Step length in years.

    Returns:
        ``(flow, share)``: ``(B, S)`` and ``(B, S, K)``.
    """
    frac = step_fraction(rate, dt)[:, None, None]
    window = share * flow[:, :, None]
    window = window + frac * (delivered / dt - window)
    window = np.maximum(window, 0.0)
    total = axis_sum(window, 2)
    safe = np.where(total > 0.0, total, 1.0)[:, :, None]
    new_share = np.where(total[:, :, None] > 0.0, window / safe, share)
    return total, new_share


def accepted_share(
    tolerance: FloatArray,
    leverage: FloatArray,
    dependence: FloatArray,
    leverage_weight: FloatArray,
    dependence_weight: FloatArray,
) -> FloatArray:
    """Mechanism e (division of labour): the regional arms share of China Russia accepts.

    Equation: ``τ* = clip(τ + ω_lev (1 - Λ) + ω_dep σ_R, 0, 1)`` with Russia's leverage
    ``Λ = C_R,sec / (C_R,sec + C_C,sec)`` (its arms capacity against China's) and its
    dependence on China, measured by the sanctions ``σ_R`` on it: a weaker or more dependent
    Russia has to accept more.

    Args:
        tolerance: ``(B,)`` base tolerance ``τ``.
        leverage: ``(B,)`` ``Λ``.
        dependence: ``(B,)`` ``σ_R``.
        leverage_weight: ``(B,)`` ``ω_lev``.
        dependence_weight: ``(B,)`` ``ω_dep``.

    Returns:
        ``(B,)`` accepted share.
    """
    out: FloatArray = np.clip(
        tolerance + leverage_weight * (1.0 - leverage) + dependence_weight * dependence, 0.0, 1.0
    )
    return out


def coordination_equilibrium(
    base: FloatArray,
    shared_threat: FloatArray,
    us_presence: FloatArray,
    china_share: FloatArray,
    accepted: FloatArray,
    threat_weight: FloatArray,
    us_weight: FloatArray,
    overreach_weight: FloatArray,
) -> FloatArray:
    """Mechanism e (division of labour): the coordination China and Russia seek.

    Equation: ``c* = clip(c0 + ω_θ θ̄ + ω_US U - ω_over max(0, X_C - τ*), 0, 1)``, the
    article's two motives (the shared threat from Afghanistan ``θ̄``, the regional mean
    threat; keeping the United States out, ``U`` its presence and regional security share)
    against China's security role outgrowing what Russia accepts (``X_C`` China's regional
    arms share, ``τ*`` from :func:`accepted_share`).

    Args:
        base: ``(B,)`` ``c0``.
        shared_threat: ``(B,)`` ``θ̄``.
        us_presence: ``(B,)`` ``U``.
        china_share: ``(B,)`` ``X_C``.
        accepted: ``(B,)`` ``τ*``.
        threat_weight: ``(B,)`` ``ω_θ``.
        us_weight: ``(B,)`` ``ω_US``.
        overreach_weight: ``(B,)`` ``ω_over``.

    Returns:
        ``(B,)`` equilibrium coordination ``c*``.
    """
    excess = np.maximum(china_share - accepted, 0.0)
    out: FloatArray = np.clip(
        base + threat_weight * shared_threat + us_weight * us_presence - overreach_weight * excess,
        0.0,
        1.0,
    )
    return out


def update_coordination(
    coordination: FloatArray, equilibrium: FloatArray, rate: FloatArray, dt: float
) -> FloatArray:
    """Mechanism e (division of labour): coordination moves toward its equilibrium value.

    Equation: ``c' = c + (1 - (1 - r) ** dt) (c* - c)``; a shock that sets ``c`` fades at
    this rate unless its cause persists.

    Args:
        coordination: ``(B,)`` coordination.
        equilibrium: ``(B,)`` from :func:`coordination_equilibrium`.
        rate: ``(B,)`` annual rate ``r``.
        dt: Step length in years.

    Returns:
        ``(B,)`` new coordination.
    """
    out: FloatArray = coordination + step_fraction(rate, dt) * (equilibrium - coordination)
    return out


def treaty_ties(membership: FloatArray, tie_map: FloatArray) -> FloatArray:
    """Treaty ties of each state to each partner, from its memberships.

    Equation: ``L[s, k, d] = Σ_o m[s, o] W[o, k, d]`` with ``W`` the tie weights of
    organisations (seeds/ties.csv).

    Args:
        membership: ``(B, S, O)`` memberships (0 or 1).
        tie_map: ``(O, K, D)`` tie weights.

    Returns:
        ``(B, S, K, D)`` ties.
    """
    out: FloatArray = np.einsum("bso,okd->bskd", membership, tie_map)
    return out


def customs_channel(
    membership: FloatArray, customs_union: FloatArray, tie_map: FloatArray
) -> FloatArray:
    """Mechanism d (trade by gravity): where sanctions on a power divert trade to it.

    Equation: ``ε[s, p] = Σ_o m[s, o] u[o] [W[o, p, econ] > 0]``: a state is a channel for
    diverting trade to a sanctioned power (re-exports, parallel imports) only through a customs
    union whose economic tie binds it to that power (the EAEU and Russia, ``seeds/ties.csv``).
    Sanctions on any other power (China, the United States, one a scenario adds) divert nothing.

    Args:
        membership: ``(B, S, O)`` memberships (0 or 1).
        customs_union: ``(O,)`` 1 for a customs union, else 0.
        tie_map: ``(O, K, D)`` tie weights.

    Returns:
        ``(B, S, P)`` 1 where a state shares a customs union with a power, else 0.
    """
    n_powers = tie_map.shape[1] - 1
    bound = (tie_map[:, :n_powers, ECON] > 0.0) * customs_union[:, None]
    out: FloatArray = membership @ bound
    return out


gravity_target = gravity_equilibrium
"""Former name of :func:`gravity_equilibrium`, kept for one release."""

coordination_target = coordination_equilibrium
"""Former name of :func:`coordination_equilibrium`, kept for one release."""

__all__ = [
    "ECON",
    "MECHANISM_TABLE",
    "SEC",
    "Mechanism",
    "accepted_share",
    "adjust_shares",
    "adjust_volumes",
    "allocate_offers",
    "axis_max",
    "axis_sum",
    "coordination_equilibrium",
    "customs_channel",
    "deliver_arms",
    "gravity_equilibrium",
    "gravity_residual",
    "grow_capacity",
    "grow_size",
    "log_zero_threat_arms",
    "regional_share",
    "restraint",
    "security_demand",
    "sign_contracts",
    "smooth_arms",
    "softmax_partners",
    "softmax_residual",
    "softmax_residual_gap",
    "steady_backlog",
    "steady_threat",
    "step_fraction",
    "supplier_attraction",
    "supplier_standing",
    "treaty_ties",
    "update_coordination",
    "update_credibility",
    "update_threat",
    "update_trust",
    "zero_threat_arms",
]
