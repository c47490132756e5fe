"""Review statistics against values computed by hand (z = 1.959964 for 95 %, z² = 3.841459)."""

import math

import pytest

from qa_service.reviews.statistics import (
    Interval,
    Stratum,
    check_agreement,
    check_precision,
    cohen_kappa,
    percent_agreement,
    sample_size_for_margin,
    stratified_proportion,
    wilson_interval,
)


def close(a: Interval, b: Interval, tol: float = 1e-9) -> bool:
    return all(
        math.isclose(x, y, rel_tol=tol, abs_tol=tol)
        for x, y in ((a.estimate, b.estimate), (a.low, b.low), (a.high, b.high), (a.n, b.n))
    )


@pytest.mark.parametrize(
    ("successes", "n", "confidence", "low", "high"),
    [
        # p = 0.8; d = 1 + z²/10 = 1.384146; centre = (0.8 + z²/20)/d = 0.716747;
        # half = z·sqrt(0.016 + z²/400)/d = 1.959964 · 0.160011 / 1.384146 = 0.226585
        (8, 10, 0.95, 0.4902, 0.9433),
        # p = 0: centre = half = (z²/20)/d = 0.192073/1.384146 = 0.138766 → [0, 0.2775]
        (0, 10, 0.95, 0.0, 0.2775),
        # p = 1, mirror image of 0/10
        (10, 10, 0.95, 0.7225, 1.0),
        # 45/50, z = 1.959964: d = 1.076829, centre = (0.9 + 0.038415)/d = 0.871462,
        # half = z·sqrt(0.0018 + 0.000384)/d = 0.085082 → [0.7864, 0.9565]
        (45, 50, 0.95, 0.7864, 0.9565),
        # 99 %: z = 2.575829, z² = 6.634897; 8/10: d = 1.663490, centre = (0.8 + 0.331745)/d = 0.680346,
        # half = z·sqrt(0.016 + z²/400)/d = 2.575829·0.180519/1.663490 = 0.279523 → [0.4008, 0.9599]
        (8, 10, 0.99, 0.4008, 0.9599),
    ],
)
def test_wilson_interval(successes, n, confidence, low, high):
    i = wilson_interval(successes, n, confidence)
    assert i.estimate == pytest.approx(successes / n)
    assert i.low == pytest.approx(low, abs=5e-5)
    assert i.high == pytest.approx(high, abs=5e-5)
    assert i.n == n


@pytest.mark.parametrize(
    ("successes", "n", "confidence"),
    [(0, 0, 0.95), (1, 0, 0.95), (11, 10, 0.95), (-1, 10, 0.95), (5, 10, 1.0)],
)
def test_wilson_interval_refuses_bad_input(successes, n, confidence):
    with pytest.raises(ValueError):
        wilson_interval(successes, n, confidence)


def test_stratified_two_strata_by_hand():
    # N = 400: W = 0.25, 0.75; p_h = 0.8, 0.9 → p = 0.2 + 0.675 = 0.875
    # var = 0.25²·(1 - 10/100)·0.16/10 + 0.75²·(1 - 20/300)·0.09/20
    #     = 0.0625·0.9·0.016 + 0.5625·0.933333·0.0045 = 0.0009 + 0.0023625 = 0.0032625
    # n_eff = 0.875·0.125 / 0.0032625 = 33.524904
    # Wilson on n_eff: d = 1 + z²/n = 1.114584, centre = (0.875 + 0.057292)/d = 0.836448,
    # half = z·sqrt(0.0032625 + z²/(4n²))/d = 1.959964·0.064164/1.114584 = 0.112830
    i = stratified_proportion([Stratum(100, 10, 8), Stratum(300, 20, 18)])
    assert i.estimate == pytest.approx(0.875)
    assert i.n == pytest.approx(33.524904, abs=1e-5)
    assert i.low == pytest.approx(0.72362, abs=5e-5)
    assert i.high == pytest.approx(0.94928, abs=5e-5)


def test_single_stratum_is_wilson_with_finite_population_correction():
    # N = 50, n = 10: f = 0.2, var = 0.8·0.16/10 = 0.0128, n_eff = 0.16/0.0128 = 12.5 = n/(1-f)
    # d = 1.307317, centre = (0.8 + 0.153658)/d = 0.729477, half = z·sqrt(0.0128 + 0.006146)/d = 0.206362
    i = stratified_proportion([Stratum(50, 10, 8)])
    assert close(i, wilson_interval(10, 12.5))
    assert (i.low, i.high) == pytest.approx((0.52312, 0.93584), abs=5e-5)
    # A population so large that f ≈ 0 gives the plain Wilson interval.
    huge = stratified_proportion([Stratum(10**12, 10, 8)])
    assert close(huge, wilson_interval(8, 10), tol=1e-6)


def test_unsampled_strata_are_left_out_and_weights_renormalised():
    with_empty = stratified_proportion([Stratum(100, 10, 8), Stratum(300, 0, 0), Stratum(0, 0, 0)])
    assert close(with_empty, stratified_proportion([Stratum(100, 10, 8)]))


@pytest.mark.parametrize(
    "strata",
    [
        [Stratum(100, 10, 10), Stratum(300, 20, 20)],  # p = 1: var 0
        [Stratum(100, 10, 0), Stratum(300, 20, 0)],  # p = 0: var 0
        [Stratum(10, 10, 8)],  # census of a mixed stratum: fpc 0
    ],
)
def test_zero_variance_falls_back_to_the_sampled_count(strata):
    i = stratified_proportion(strata)
    n = sum(s.sampled for s in strata)
    successes = sum(s.successes for s in strata)
    assert close(i, wilson_interval(successes, n))


@pytest.mark.parametrize(
    "strata",
    [[], [Stratum(100, 0, 0)], [Stratum(5, 6, 1)], [Stratum(10, 3, 4)], [Stratum(-1, 0, 0)]],
)
def test_stratified_refuses_bad_input(strata):
    with pytest.raises(ValueError):
        stratified_proportion(strata)


@pytest.mark.parametrize(
    ("margin", "confidence", "p", "population", "expected"),
    [
        (0.05, 0.95, 0.5, None, 385),  # 3.841459·0.25/0.0025 = 384.15 → 385
        (0.05, 0.95, 0.5, 1000, 278),  # 384.15/(1 + 383.15/1000) = 277.74 → 278
        (0.05, 0.95, 0.5, 100, 80),  # 384.15/(1 + 3.8315) = 79.51 → 80
        (0.03, 0.95, 0.5, None, 1068),  # 3.841459·0.25/0.0009 = 1067.07 → 1068
        (0.10, 0.95, 0.5, None, 97),  # 96.04 → 97
        (0.05, 0.95, 0.1, None, 139),  # 3.841459·0.09/0.0025 = 138.29 → 139
        (0.05, 0.99, 0.5, None, 664),  # 6.634897·0.25/0.0025 = 663.49 → 664
        (0.05, 0.95, 0.5, 1, 1),  # never more than the population
        (0.05, 0.95, 0.0, None, 1),  # p = 0 needs no spread, still one call
    ],
)
def test_sample_size_for_margin(margin, confidence, p, population, expected):
    assert sample_size_for_margin(margin, confidence, p, population) == expected


@pytest.mark.parametrize(
    ("margin", "p", "population"), [(0, 0.5, None), (1, 0.5, None), (0.05, 1.5, None), (0.05, 0.5, 0)]
)
def test_sample_size_refuses_bad_input(margin, p, population):
    with pytest.raises(ValueError):
        sample_size_for_margin(margin, p=p, population=population)


# 2×2 table, first reviewer in rows:   second: pass  fail
#                              first pass       4     1
#                              first fail       2     3
# p_o = 7/10 = 0.7; marginals first (5, 5), second (6, 4); p_e = (5·6 + 5·4)/100 = 0.5
# kappa = (0.7 - 0.5)/(1 - 0.5) = 0.4
TABLE = [("pass", "pass")] * 4 + [("pass", "fail")] + [("fail", "pass")] * 2 + [("fail", "fail")] * 3


@pytest.mark.parametrize(
    ("pairs", "agreement", "kappa"),
    [
        (TABLE, 0.7, 0.4),
        ([("pass", "fail"), ("fail", "pass")], 0.0, -1.0),  # p_o 0, p_e 0.5
        ([("pass", "fail"), ("pass", "fail")], 0.0, 0.0),  # p_e = 1·0 + 0·1 = 0
        # three categories: p_o = 2/3; marginals first (a 2, b 1), second (a 1, b 1, c 1);
        # p_e = (2·1 + 1·1)/9 = 1/3; kappa = (2/3 - 1/3)/(2/3) = 0.5
        ([("a", "a"), ("b", "b"), ("a", "c")], 2 / 3, 0.5),
        ([("pass", "pass")] * 5, 1.0, None),  # p_e = 1: undefined
    ],
)
def test_agreement_and_kappa(pairs, agreement, kappa):
    assert percent_agreement(pairs) == pytest.approx(agreement)
    result = cohen_kappa(pairs)
    assert result == (None if kappa is None else pytest.approx(kappa))


def test_no_pairs():
    assert cohen_kappa([]) is None
    with pytest.raises(ValueError):
        percent_agreement([])


def test_check_agreement_pools_reviewer_pairs():
    ratings = {
        "c1": {"r1": "pass", "r2": "pass"},  # (pass, pass)
        # pairs by reviewer id: (r1, r2) = (fail, pass), (r1, r3) = (fail, fail), (r2, r3) = (pass, fail)
        "c2": {"r3": "fail", "r2": "pass", "r1": "fail"},
        "c3": {"r1": "pass"},  # one reviewer: skipped
    }
    # 4 pairs, 2 agree: 0.5; first marginals (pass 2, fail 2), second (pass 2, fail 2): p_e 0.5 → kappa 0
    result = check_agreement(ratings)
    assert result == {"calls": 2, "pairs": 4, "reviewers": 3, "percent_agreement": 0.5, "kappa": 0.0}


def test_check_agreement_of_the_table_with_two_reviewers():
    ratings = {f"c{i}": {"alice": a, "bob": b} for i, (a, b) in enumerate(TABLE)}
    result = check_agreement(ratings)
    assert result["percent_agreement"] == pytest.approx(0.7)
    assert result["kappa"] == pytest.approx(0.4)


def test_check_agreement_without_pairs():
    assert check_agreement({"c1": {"r1": "pass"}}) == {
        "calls": 0,
        "pairs": 0,
        "reviewers": 0,
        "percent_agreement": None,
        "kappa": None,
    }


def test_check_precision():
    assert check_precision(0, 0) is None
    assert close(check_precision(9, 1), wilson_interval(9, 10))
    # 8 confirmed, 2 overturned: 0.8 in [0.4902, 0.9433]
    i = check_precision(8, 2)
    assert i is not None and (i.estimate, round(i.low, 4), round(i.high, 4)) == (0.8, 0.4902, 0.9433)
    with pytest.raises(ValueError):
        check_precision(-1, 2)
