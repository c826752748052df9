"""The model's mechanisms, one pure array function each.

Each function reads old arrays and returns new ones; none mutates its inputs, reads files, prints
or draws random numbers (noise comes in as an argument, drawn from each run's own generator by
the driver). All take a leading batch axis ``B``; shapes use the names of
:mod:`influence_sim.kernel.arrays`. Rates are per year and ``dt`` is the step length in years,
so results do not depend on the step length beyond discretisation error.
"""

from __future__ import annotations

import numpy as np

from influence_sim.kernel.arrays import ECON, SEC, FloatArray

_LETTERS = "abcdefgh"


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
    level = exposure * instability[:, None]
    keep = 2.0 ** (-dt / np.maximum(halflife_years, 1e-9))
    return level + keep[:, None] * (threat - level)


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


def grow_trade(trade: FloatArray, growth: FloatArray, dt: float) -> FloatArray:
    """Mechanism b (demand, economic): external trade grows with the economy.

    Equation: ``T' = T * (1 + g) ** dt``.

    Args:
        trade: ``(B, S)`` external trade, USD bn per year.
        growth: ``(B,)`` annual growth rate.
        dt: Step length in years.

    Returns:
        ``(B, S)`` new external trade.
    """
    return trade * (1.0 + growth[:, None]) ** dt


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
) -> tuple[FloatArray, FloatArray]:
    """Mechanism c (offers): each power spends its capacity over states by expected return.

    Equations, for power ``p``, domain ``d`` and state ``s``:

    * effort ``E[p, d] = π_p * w_d(δ_p) * C[p, d] * R[p, d]``, with priority ``π``, doctrine
      ``δ`` (security emphasis), ``w_econ = 1 - δ``, ``w_sec = δ``, capacity ``C`` and restraint
      ``R`` (mechanism e);
    * expected return ``V[s, p, d] = D[s, d] * (x[s, p, d] + a) * ε[s, p, d]``: the state's demand
      ``D`` (trade or arms imports) times the power's current share ``x`` plus an entry share
      ``a``, with log-normal noise ``ε = exp(σ z)``, ``z`` standard normal (zero mean in logs,
      so the noise does not shift the log-offer attraction of mechanism d on average);
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

    Returns:
        ``(offers, effort)``: ``(B, S, P, D)`` offers and ``(B, P, D)`` effort.
    """
    n_powers = capacity.shape[1]
    emphasis = np.stack([1.0 - doctrine, doctrine], axis=-1)
    effort = priority[:, :, None] * emphasis * capacity * restraint_factor
    sd = noise_sd[:, None, None, None]
    eps = np.exp(sd * noise)
    value = demand[:, :, None, :] * (share[:, :, :n_powers, :] + entry_share[:, None, None, None])
    value = value * eps
    total = axis_sum(value, 1, keepdims=True)
    if np.all(total > 0.0):
        alloc = value / total
    else:
        # A power expecting nothing anywhere (no share, no entry share) spreads by demand alone.
        fallback = np.broadcast_to(demand[:, :, None, :], value.shape)
        fallback_total = axis_sum(fallback, 1, keepdims=True)
        alloc = np.where(
            total > 0.0,
            value / np.where(total > 0.0, total, 1.0),
            fallback / np.where(fallback_total > 0.0, fallback_total, 1.0),
        )
    return effort[:, None, :, :] * alloc, effort


def attraction(
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
    """Mechanism d (choice), the part of a partner's attraction that the model explains.

    Equation, for state ``s``, partner ``k`` and domain ``d`` (rest of world has no offer term,
    no hedging penalty, no presence and no credibility)::

        U[s,k,d] = β log O[s,k,d] + ω_tie L[s,k,d] - κ h_s x[s,k,d]
                   + [d = security] (ω_pres θ_s M[s,k] + ω_cred Q[s,k])

    with offers ``O``, treaty ties ``L``, hedging ``h``, current share ``x`` (so more hedging
    penalises concentration on a dominant partner), threat ``θ``, military presence ``M`` and
    credibility ``Q``. The full attraction adds the fitted affinity (see :func:`target_shares`).

    Args:
        offers: ``(B, S, P, D)`` offers.
        share: ``(B, S, K, D)`` current shares.
        ties: ``(B, S, K, D)`` treaty ties.
        hedging: ``(B, S)`` hedging propensity.
        threat: ``(B, S)`` threat perception.
        presence: ``(B, S, P)`` military presence.
        credibility: ``(B, S, P)`` security credibility.
        offer_sensitivity: ``(B,)`` ``β``.
        hedging_weight: ``(B,)`` ``κ``.
        tie_weight: ``(B,)`` ``ω_tie``.
        presence_weight: ``(B,)`` ``ω_pres``.
        credibility_weight: ``(B,)`` ``ω_cred``.

    Returns:
        ``(B, S, K, D)`` explained attraction.
    """
    b4 = (slice(None), None, None, None)
    n_powers = offers.shape[2]
    power_terms = offer_sensitivity[b4] * np.log(np.maximum(offers, 1e-300))
    power_terms = (
        power_terms
        - (hedging_weight[:, None] * hedging)[:, :, None, None] * share[:, :, :n_powers, :]
    )
    security = (
        presence_weight[:, None, None] * threat[:, :, None] * presence
        + credibility_weight[:, None, None] * credibility
    )
    power_terms[..., SEC] += security
    utility = tie_weight[b4] * ties
    utility[:, :, :n_powers, :] += power_terms
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


def adjust_shares(
    share: FloatArray,
    target: FloatArray,
    rate_economic: FloatArray,
    rate_security: FloatArray,
    ties: FloatArray,
    stickiness: FloatArray,
    dt: float,
) -> FloatArray:
    """Mechanism d (choice), inertia: shares move part of the way toward their targets.

    Equation: ``x' = x + f * (x* - x)`` with ``f = 1 - (1 - r_d (1 - ς max_k L[s,k,d])) ** dt``:
    the annual rate ``r_d`` (economics faster than security) is slowed by institutional
    stickiness ``ς`` in proportion to the state's strongest treaty tie in that domain. As a
    convex combination of two simplex points the result stays on the simplex.

    Args:
        share: ``(B, S, K, D)`` current shares.
        target: ``(B, S, K, D)`` target shares.
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
    new = share + frac * (target - share)
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

    Equation: ``C'[p, d] = C[p, d] * exp(dt * (g_p + ρ X[p, d]))``, with ``g_p`` the power's
    trend growth (from its CINC trend), ``ρ`` the return rate and ``X[p, d]`` its regional share
    in domain ``d``. Shocks such as sanctions act on ``C`` directly (scenario ``scale`` ops).

    Args:
        capacity: ``(B, P, D)`` capacities.
        growth: ``(B, P)`` trend growth per year.
        return_rate: ``(B,)`` ``ρ``.
        regional_share: ``(B, P, D)`` regional shares of the powers.
        dt: Step length in years.

    Returns:
        ``(B, P, D)`` new capacities.
    """
    rate = growth[:, :, None] + return_rate[:, None, None] * regional_share
    return capacity * np.exp(dt * rate)


def regional_share(share: FloatArray, volume: FloatArray) -> FloatArray:
    """Volume-weighted regional share of every partner in each domain.

    Equation: ``X[k, d] = Σ_s x[s, k, d] V[s, d] / Σ_s V[s, d]`` (rest of world included in
    the denominator).

    Args:
        share: ``(B, S, K, D)`` shares.
        volume: ``(B, S, D)`` trade (economic) and arms imports (security).

    Returns:
        ``(B, K, D)`` regional shares.
    """
    weighted = np.einsum("bskd,bsd->bkd", share, volume)
    total = axis_sum(volume, 1)[:, None, :]
    out: FloatArray = weighted / np.where(total > 0.0, total, 1.0)
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


__all__ = [
    "ECON",
    "SEC",
    "adjust_shares",
    "allocate_offers",
    "attraction",
    "axis_max",
    "axis_sum",
    "grow_capacity",
    "grow_trade",
    "regional_share",
    "restraint",
    "security_demand",
    "softmax_partners",
    "step_fraction",
    "treaty_ties",
    "update_credibility",
    "update_threat",
    "update_trust",
]
