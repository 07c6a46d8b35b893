"""Harm weights files and the harm-weighted WDD (issue #16 item 3): the file's errors name
file, line and field; the WDD equals ptools' ``wdd_harm`` worked by hand."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from asbhub.analysis import (
    HarmFileError,
    InterventionCounts,
    evaluate_intervention,
    evaluate_intervention_harm,
    harm_weights,
    hotspot_kde,
    parse_harm_csv,
    read_harm_csv,
    wdd_harm,
)

EXAMPLE = Path(__file__).parents[2] / "asbhub" / "data" / "harm" / "example-weights.csv"

GOOD = """# Test index, made up for this test
# derived: none
crime_type,weight,source
Burglary,10,made-up table 1
Robbery,5.5,"made-up table 2, row 3"
asb,1,made-up table 4
"""


# --- the file --------------------------------------------------------------------------------


def test_reads_weights_sources_and_notes() -> None:
    w = parse_harm_csv(GOOD, "idx.csv")
    assert dict(w.weights) == {"Burglary": 10.0, "Robbery": 5.5, "Anti-social behaviour": 1.0}
    assert w.sources["Robbery"] == "made-up table 2, row 3"
    assert w.notes == ("Test index, made up for this test", "derived: none")
    assert len(w.sha256) == 64 and w.name == "idx.csv"


def test_columns_in_any_order_and_a_byte_order_mark(tmp_path: Path) -> None:
    f = tmp_path / "w.csv"
    f.write_bytes(b"\xef\xbb\xbfsource,weight,crime_type,extra\nT1,2,Drugs,x\n")
    w = read_harm_csv(f)
    assert dict(w.weights) == {"Drugs": 2.0} and w.sources == {"Drugs": "T1"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "crime_type,weight\nBurglary,1\n",
            "w.csv, line 1: the header lacks source; expected the columns crime_type, "
            "weight, source, found crime_type, weight",
        ),
        (
            "# note\ncrime_type,weight,source\nBurglary,1,T\nRobbery,lots,T\n",
            "w.csv, line 4, field weight: expected a number 0 or more, got 'lots'",
        ),
        (
            "crime_type,weight,source\nBurglary,-1,T\n",
            "w.csv, line 2, field weight: expected a number 0 or more, got '-1'",
        ),
        (
            "crime_type,weight,source\nBurglary,nan,T\n",
            "w.csv, line 2, field weight: expected a number 0 or more, got 'nan'",
        ),
        (
            "crime_type,weight,source\nBurglary,2,\n",
            "w.csv, line 2, field source: expected where the weight comes from",
        ),
        (
            "crime_type,weight,source\n,2,T\n",
            "w.csv, line 2, field crime_type: expected a crime type",
        ),
        (
            "crime_type,weight,source\nBurglary,2,T\n\nBurglary,3,T\n",
            "w.csv, line 4, field crime_type: 'Burglary' is listed twice (first on line 2)",
        ),
        ("crime_type,weight,source\n", "w.csv: a header but no weights"),
        ("# only a comment\n", "w.csv: no header"),
    ],
)
def test_errors_name_file_line_and_field(text: str, expected: str) -> None:
    with pytest.raises(HarmFileError) as err:
        parse_harm_csv(text, "w.csv")
    assert str(err.value).startswith(expected), str(err.value)


def test_not_utf8_says_so(tmp_path: Path) -> None:
    f = tmp_path / "w.csv"
    f.write_bytes(b"crime_type,weight,source\nCaf\xe9,1,T\n")
    with pytest.raises(HarmFileError, match="not UTF-8 text.*save it as UTF-8"):
        read_harm_csv(f)


def test_the_bundled_file_is_an_example_of_the_format_not_figures() -> None:
    w = read_harm_csv(EXAMPLE)
    # Every police.uk category, every weight 1 and every source saying it is an example: no
    # unsourced harm index is shipped.
    assert len(w.weights) == 14
    assert set(w.weights.values()) == {1.0}
    assert all(s.startswith("EXAMPLE ONLY") for s in w.sources.values())
    assert any("NOT a harm index" in n for n in w.notes)


# --- harm-weighted WDD -----------------------------------------------------------------------

# ptools' own example of wdd_harm (R: wdd(control = c(pre, post), treated = c(pre, post))):
#   rob   <- wdd(c(20,20), c(20,10))   est = (10 - 20) - (20 - 20) = -10,  var = 10+20+20+20 = 70
#   burg  <- wdd(c(30,30), c(25,20))   est = (20 - 25) - (30 - 30) = -5,   var = 20+25+30+30 = 105
#   theft <- wdd(c(80,60), c(70,20))   est = (20 - 70) - (60 - 80) = -30,  var = 20+70+60+80 = 230
#   weights 10, 5, 1:
#   harm  = 10 * -10 + 5 * -5 + 1 * -30 = -155
#   var   = 100 * 70 + 25 * 105 + 1 * 230 = 7000 + 2625 + 230 = 9855,  se = sqrt(9855)
#   90% interval (ptools' alpha = 0.1): -155 -/+ 1.6448536269514722 * sqrt(9855)
HAND_SE = math.sqrt(9855.0)
HAND_Z90 = 1.6448536269514722


def ptools_counts() -> dict[str, InterventionCounts]:
    def c(control: tuple[int, int], treated: tuple[int, int]) -> InterventionCounts:
        return InterventionCounts(
            response_before=treated[0],
            response_after=treated[1],
            control_before=control[0],
            control_after=control[1],
        )

    return {
        "Robbery": c((20, 20), (20, 10)),
        "Burglary": c((30, 30), (25, 20)),
        "Other theft": c((80, 60), (70, 20)),
    }


def test_wdd_harm_equals_the_hand_worked_ptools_example() -> None:
    r = wdd_harm([-10, -5, -30], [math.sqrt(70), math.sqrt(105), math.sqrt(230)], [10, 5, 1])
    assert r.estimate == -155.0
    assert r.se == pytest.approx(HAND_SE, rel=1e-15)
    assert r.z == pytest.approx(-155.0 / HAND_SE, rel=1e-15)
    assert r.ci_low == pytest.approx(-155.0 - HAND_Z90 * HAND_SE, rel=1e-12)
    assert r.ci_high == pytest.approx(-155.0 + HAND_Z90 * HAND_SE, rel=1e-12)
    assert r.p_value == pytest.approx(math.erfc(155.0 / HAND_SE / math.sqrt(2)), rel=1e-12)


def test_evaluate_intervention_harm_from_counts_equals_the_hand_worked_value() -> None:
    combined, per_type = evaluate_intervention_harm(
        ptools_counts(), {"Robbery": 10, "Burglary": 5, "Other theft": 1, "Drugs": 3}
    )
    assert [per_type[t].wdd.estimate for t in ("Robbery", "Burglary", "Other theft")] == [
        -10.0,
        -5.0,
        -30.0,
    ]
    assert combined.estimate == -155.0
    assert combined.se**2 == pytest.approx(9855.0, rel=1e-13)
    assert [p[3] for p in combined.parts] == [10.0, 5.0, 1.0]
    # Unweighted, the same counts give -45 with variance 405: harm changes the answer.
    plain = sum(evaluate_intervention(c).wdd.estimate for c in ptools_counts().values())
    assert plain == -45.0


def test_a_type_without_weight_is_named() -> None:
    with pytest.raises(ValueError, match=r"no harm weight for 'Other theft'; the weights have"):
        evaluate_intervention_harm(ptools_counts(), {"Robbery": 10, "Burglary": 5})


def test_wdd_harm_checks_its_inputs() -> None:
    with pytest.raises(ValueError, match="one entry per crime type"):
        wdd_harm([1.0, 2.0], [1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="harm weight for '1' must be a number 0 or more"):
        wdd_harm([1.0, 2.0], [1.0, 1.0], [1.0, -1.0])
    zero = wdd_harm([0.0], [0.0], [2.0])
    assert zero.z is None and zero.p_value is None


# --- harm-weighted hot spots: every method takes a weight per record ------------------------


def test_harm_weighted_kde_is_the_weighted_sum_of_each_types_kde() -> None:
    rng = np.random.default_rng(16)
    pts = rng.uniform(0, 2000, size=(300, 2)) + [430000, 330000]
    types = rng.choice(["Burglary", "Robbery", "Anti-social behaviour"], size=300)
    weights = {"Burglary": 10.0, "Robbery": 5.5, "Anti-social behaviour": 1.0}
    w = harm_weights(types, weights)
    kw = dict(bandwidth=300.0, cell_size=100.0, extent=(430000, 330000, 432000, 332000))
    weighted = hotspot_kde(pts, weights=w, **kw)
    by_type = sum(weights[t] * hotspot_kde(pts[types == t], **kw).density for t in weights)
    assert weighted.weighted and weighted.units == "weighted points per km2"
    np.testing.assert_allclose(weighted.density, by_type, rtol=1e-9, atol=1e-9)
    # Not the unweighted density.
    assert not np.allclose(weighted.density, hotspot_kde(pts, **kw).density)
