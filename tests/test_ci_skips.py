"""The CI rule for skips (tests/ci_skips.py), run on small suites of its own (pytester)."""

from __future__ import annotations

import pytest

from tests import ci_skips

CONFTEST = "pytest_plugins = ['tests.ci_skips']\n"
SKIPS = """
import pytest

def test_skips():
    pytest.skip("the reference library is not installed")

def test_passes():
    pass

@pytest.mark.xfail(reason="a known bug", strict=True)
def test_expected_failure():
    assert False
"""
SKIPPED_AT_COLLECTION = """
import pytest

pytest.importorskip("a_reference_library_that_is_not_installed")

def test_never_runs():
    pass
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_skips=SKIPS, test_collection=SKIPPED_AT_COLLECTION)
    return pytester


def test_outside_ci_a_skip_is_a_skip(suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("CI", raising=False)
    result = suite.runpytest()
    result.assert_outcomes(passed=1, skipped=2, xfailed=1)
    assert result.ret == 0


def test_under_ci_a_skip_fails_and_says_how_to_fix_it(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("CI", "true")
    result = suite.runpytest("test_skips.py")
    # The skipped test fails; the passing test passes; the expected failure stays one.
    result.assert_outcomes(passed=1, failed=1, xfailed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["*test_skips.py::test_skips skipped under CI*the reference library is not installed*"]
    )
    assert "ALLOWED_SKIPS in tests/ci_skips.py" in result.stdout.str()


def test_under_ci_a_module_skipped_at_collection_fails(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("CI", "true")
    result = suite.runpytest("test_collection.py")
    result.assert_outcomes(errors=1)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        ["*test_collection.py skipped under CI*a_reference_library_that_is_not_installed*"]
    )


def test_under_ci_an_allowed_skip_stays_a_skip(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("CI", "true")
    monkeypatch.setitem(ci_skips.ALLOWED_SKIPS, "test_skips.py::test_skips", "a test reason")
    monkeypatch.setitem(ci_skips.ALLOWED_SKIPS, "test_collection.py", "a test reason")
    result = suite.runpytest()
    result.assert_outcomes(passed=1, skipped=2, xfailed=1)


def test_the_allow_list_is_empty() -> None:
    """Documented in docs/development.md as empty: a new entry must be documented there."""
    assert ci_skips.ALLOWED_SKIPS == {}
