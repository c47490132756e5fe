"""Statistics for reviews and spot checks: Wilson intervals (plain and for stratified samples),
sample sizes for a margin of error, and agreement between reviewers.

Pure functions on counts; no database. Proportions are fractions in [0, 1].

References
- E. B. Wilson (1927), "Probable inference, the law of succession, and statistical inference",
  JASA 22: the score interval used throughout.
- E. L. Korn and B. I. Graubard (1998), "Confidence intervals for proportions with small expected
  number of positive counts estimated from survey data", Survey Methodology 24: intervals for a
  complex sample computed from the effective sample size n_eff = p(1-p) / var(p).
- N. Dean and M. Pagano (2015), "Evaluating confidence interval methods for binomial proportions
  in clustered surveys", J. Survey Statistics and Methodology 3: the Wilson interval with that
  effective sample size performs well.
- L. Kish (1965), Survey Sampling: stratified estimator, finite population correction, design effect.
- J. Cohen (1960), "A coefficient of agreement for nominal scales": kappa.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from statistics import NormalDist
from typing import Any

# Relative tolerance under which a variance or 1 - expected agreement counts as zero.
_EPS = 1e-12


@dataclass(frozen=True)
class Interval:
    """A proportion with its confidence interval; ``n`` is the sample size it rests on (the
    effective sample size for a stratified estimate, which need not be a whole number)."""

    estimate: float
    low: float
    high: float
    n: float


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    return NormalDist().inv_cdf(1 - (1 - confidence) / 2)


def wilson_interval(successes: float, n: float, confidence: float = 0.95) -> Interval:
    """Wilson score interval for ``successes`` out of ``n`` (both may be fractional, as with an
    effective sample size):

        centre = (p + z²/2n) / (1 + z²/n)
        half   = z · sqrt(p(1-p)/n + z²/4n²) / (1 + z²/n)

    Raises ValueError for n <= 0 (no data: the caller decides what to show) or successes outside
    [0, n]."""
    if not n > 0:
        raise ValueError(f"a Wilson interval needs n > 0, got {n}")
    if not -_EPS * n <= successes <= n * (1 + _EPS):
        raise ValueError(f"successes must lie in [0, n], got {successes} of {n}")
    z = _z(confidence)
    p = min(max(successes / n, 0.0), 1.0)
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    # At p = 0 (p = 1) the lower (upper) bound is exactly 0 (1); do not leave rounding residue.
    low = 0.0 if p == 0 else max(0.0, centre - half)
    high = 1.0 if p == 1 else min(1.0, centre + half)
    return Interval(estimate=p, low=low, high=high, n=n)


@dataclass(frozen=True)
class Stratum:
    """One stratum of a stratified sample: ``population`` calls in the frame (N_h), ``sampled`` of
    them observed (n_h), ``successes`` of those passing (x_h)."""

    population: int
    sampled: int
    successes: int


def stratified_proportion(strata: Sequence[Stratum], confidence: float = 0.95) -> Interval:
    """Population proportion from a stratified random sample (without replacement within each
    stratum), with a Wilson interval on the effective sample size.

    - Strata with ``sampled == 0`` carry no information and are left out; the weights of the others
      are re-normalised to sum to 1 (W_h = N_h / Σ N over sampled strata). This treats an unsampled
      stratum as if its rate equalled the sampled ones' weighted rate. Strata with population 0 and
      nothing sampled are ignored.
    - Estimate: p = Σ W_h p_h with p_h = x_h / n_h.
    - Variance: var = Σ W_h² (1 - n_h/N_h) p_h (1 - p_h) / n_h. The divisor is n_h, not the
      unbiased n_h - 1: it is the variance the Wilson interval itself assumes (p(1-p)/n evaluated
      at the estimate), it stays defined for strata of one call, and with it a single stratum gives
      exactly ``wilson_interval(x / (1-f), n / (1-f))`` with f = n/N, i.e. the Wilson interval with
      the finite population correction applied to its sample size; for N → ∞ that is the plain
      Wilson interval on x of n. (Korn & Graubard also shrink n_eff by a t/z degrees-of-freedom
      ratio; with the n_h divisor and no clustering we leave it out.)
    - Interval: Wilson on n_eff = p(1-p)/var and x_eff = p · n_eff (Korn & Graubard 1998; Dean &
      Pagano 2015).
    - When var is 0 — p is 0 or 1, or every stratum with mixed results was sampled completely — the
      effective sample size is undefined; then n_eff = Σ n_h (design effect 1, no finite population
      correction), the conservative choice, so an all-pass sample of 12 calls reads like 12 of 12.

    Raises ValueError when no stratum was sampled or the counts are inconsistent."""
    used: list[Stratum] = []
    for s in strata:
        if s.population < 0 or s.sampled < 0 or s.successes < 0:
            raise ValueError(f"negative count in {s}")
        if s.sampled > s.population:
            raise ValueError(f"stratum sampled {s.sampled} of only {s.population} calls")
        if s.successes > s.sampled:
            raise ValueError(f"stratum has {s.successes} successes in {s.sampled} sampled calls")
        if s.sampled > 0:
            used.append(s)
    if not used:
        raise ValueError("no stratum has a sampled call")
    population = sum(s.population for s in used)
    p = 0.0
    variance = 0.0
    for s in used:
        weight = s.population / population
        p_h = s.successes / s.sampled
        p += weight * p_h
        fpc = 1 - s.sampled / s.population
        variance += weight * weight * fpc * p_h * (1 - p_h) / s.sampled
    p = min(max(p, 0.0), 1.0)
    n_sampled = float(sum(s.sampled for s in used))
    spread = p * (1 - p)
    # var = 0 (up to rounding, i.e. n_eff beyond 1e12): fall back to the sampled count.
    n_eff = n_sampled if spread <= _EPS or variance <= _EPS * spread else spread / variance
    interval = wilson_interval(p * n_eff, n_eff, confidence)
    return Interval(estimate=p, low=interval.low, high=interval.high, n=n_eff)


def sample_size_for_margin(
    margin: float, confidence: float = 0.95, p: float = 0.5, population: int | None = None
) -> int:
    """Calls to sample so that a ±``margin`` interval (normal approximation) is expected:
    n0 = z² p(1-p) / margin², then for a finite population of N calls n = n0 / (1 + (n0 - 1)/N),
    rounded up (and never more than N). p = 0.5 is the worst case.

    margin 0.05 at 95 %: n0 = 1.96² · 0.25 / 0.0025 = 384.15 → 385; of N = 1000: 277.7 → 278."""
    if not 0 < margin < 1:
        raise ValueError(f"margin must lie strictly between 0 and 1, got {margin}")
    if not 0 <= p <= 1:
        raise ValueError(f"p must lie in [0, 1], got {p}")
    if population is not None and population < 1:
        raise ValueError(f"population must be at least 1, got {population}")
    z = _z(confidence)
    n = z * z * p * (1 - p) / (margin * margin)
    if population is not None:
        n = n / (1 + (n - 1) / population)
    # Round away float noise before the ceiling (e.g. 96.00000000000001 must give 96).
    needed = max(1, math.ceil(round(n, 9)))
    return min(needed, population) if population is not None else needed


def percent_agreement(pairs: Sequence[tuple[str, str]]) -> float:
    """Share of pairs whose two verdicts are equal. Raises ValueError for no pairs."""
    if not pairs:
        raise ValueError("no pairs to compare")
    return sum(a == b for a, b in pairs) / len(pairs)


def cohen_kappa(pairs: Sequence[tuple[str, str]]) -> float | None:
    """Cohen's kappa = (p_o - p_e) / (1 - p_e), with p_o the observed agreement and
    p_e = Σ_k P(first = k) · P(second = k) from each position's own marginals.

    None when undefined: no pairs, or p_e = 1 (both positions gave one and the same verdict
    throughout, so chance alone explains the agreement)."""
    if not pairs:
        return None
    n = len(pairs)
    first = Counter(a for a, _ in pairs)
    second = Counter(b for _, b in pairs)
    observed = sum(a == b for a, b in pairs) / n
    expected = sum(first[k] * second[k] for k in first) / (n * n)
    if 1 - expected <= _EPS:
        return None
    return (observed - expected) / (1 - expected)


def check_agreement(ratings: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    """Agreement on one check from ``{call_id: {reviewer: verdict}}``.

    Every pair of reviewers of the same call gives one pair of verdicts, ordered by reviewer id
    (so with exactly two reviewers this is their Cohen's kappa); the pairs of all calls are pooled
    for the percent agreement and kappa. Calls with fewer than two reviewers are skipped.

    Returns ``{"calls": calls with ≥ 2 reviewers, "pairs": n, "reviewers": distinct reviewers in
    those calls, "percent_agreement": float | None, "kappa": float | None}``."""
    pairs: list[tuple[str, str]] = []
    calls = 0
    reviewers: set[str] = set()
    for call_id in sorted(ratings):
        by_reviewer = ratings[call_id]
        if len(by_reviewer) < 2:
            continue
        calls += 1
        reviewers.update(by_reviewer)
        for a, b in combinations(sorted(by_reviewer), 2):
            pairs.append((by_reviewer[a], by_reviewer[b]))
    return {
        "calls": calls,
        "pairs": len(pairs),
        "reviewers": len(reviewers),
        "percent_agreement": percent_agreement(pairs) if pairs else None,
        "kappa": cohen_kappa(pairs),
    }


def check_precision(confirmed: int, overturned: int, confidence: float = 0.95) -> Interval | None:
    """Precision of a check's automatic verdicts as reviewers decided them: confirmed out of
    confirmed + overturned, with its Wilson interval; None when there were no decisions."""
    if confirmed < 0 or overturned < 0:
        raise ValueError("counts must not be negative")
    n = confirmed + overturned
    if n == 0:
        return None
    return wilson_interval(confirmed, n, confidence)
