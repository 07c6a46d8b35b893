"""The force's local time zone is named once, in asbhub.domain.dates (issue #11 item 4)."""

import re
from pathlib import Path

import asbhub
from asbhub.domain.dates import LOCAL_TIME_ZONE, LOCAL_ZONE

PACKAGE = Path(asbhub.__file__).parent
# A zone name written as a string literal in code: '"Europe/London"' (prose in a docstring or a
# message, without the quotes, is fine).
ZONE_LITERAL = re.compile(r"""["'](Europe/[A-Za-z_]+|GB|UTC\+0)["']""")


def test_the_zone_is_europe_london() -> None:
    assert LOCAL_TIME_ZONE == "Europe/London"
    assert LOCAL_ZONE.key == LOCAL_TIME_ZONE


def test_no_other_module_names_a_zone() -> None:
    named = sorted(
        f"{path.relative_to(PACKAGE)}:{n}"
        for path in PACKAGE.rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if ZONE_LITERAL.search(line)
    )
    assert named == ["domain/dates.py:" + str(_line_of_constant())], named


def _line_of_constant() -> int:
    text = (PACKAGE / "domain" / "dates.py").read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(text, 1) if line.startswith("LOCAL_TIME_ZONE ="))


def test_django_uses_the_same_zone() -> None:
    from asbhub.web import settings

    assert settings.TIME_ZONE == LOCAL_TIME_ZONE
