"""docs/forecast-accuracy.md's tables are the output of `asbhub hotspots evaluate` (issue #16):
rerun Derbyshire (ASB and burglary) on the shared data and compare with the page."""

from __future__ import annotations

import re

import pytest

from tests.support import ROOT, SHARED_POLICE_UK, need


@pytest.mark.parametrize("crime_type", ["asb", "burglary"])
def test_docs_table_is_the_command_output(crime_type: str) -> None:
    need(
        (SHARED_POLICE_UK / "2018-10" / "2018-10-derbyshire-street.csv").is_file(),
        f"the shared data set is not at {SHARED_POLICE_UK}",
    )
    from scripts.forecast_docs import BLOCK, table

    doc = (ROOT / "docs" / "forecast-accuracy.md").read_text(encoding="utf-8")
    blocks = {(m.group(1), m.group(2)): m.group(0) for m in BLOCK.finditer(doc)}
    assert len(blocks) == 10  # five forces, ASB and burglary
    fresh = table("derbyshire", crime_type, SHARED_POLICE_UK)
    assert fresh == blocks[("derbyshire", crime_type)], (
        "docs/forecast-accuracy.md is out of date: run python scripts/forecast_docs.py"
    )
    assert re.search(r"\\| 1% \\| naive \\| 4 \\|", fresh)
