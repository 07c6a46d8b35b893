"""asbhub.outputs.hotspot_files split by concern (issue #11): stamp, legend, vector files and
PNG, with matplotlib imported by the PNG module only, and only when a map is drawn."""

import subprocess
import sys
from pathlib import Path

import asbhub
from asbhub.outputs import hotspot_files

PACKAGE = Path(hotspot_files.__file__).parent


def test_each_concern_has_its_module() -> None:
    from asbhub.outputs.hotspot_files import legend, png, stamp, vector

    assert hotspot_files.make_stamp is stamp.make_stamp
    assert hotspot_files.legend_for is legend.legend_for
    assert hotspot_files.write_geojson is vector.write_geojson
    assert hotspot_files.write_csv is vector.write_csv
    assert hotspot_files.write_png is png.write_png
    assert sorted(p.name for p in PACKAGE.glob("*.py")) == [
        "__init__.py",
        "legend.py",
        "png.py",
        "stamp.py",
        "vector.py",
    ]


def test_matplotlib_is_imported_by_the_png_module_only() -> None:
    importers = sorted(
        str(p.relative_to(Path(asbhub.__file__).parent))
        for p in Path(asbhub.__file__).parent.joinpath("outputs").rglob("*.py")
        if "import matplotlib" in p.read_text() or "from matplotlib" in p.read_text()
    )
    assert importers == ["outputs/hotspot_files/png.py"]
    probe = (
        "import sys\n"
        "import asbhub.outputs\n"
        "from asbhub.analysis import hotspot_gistar\n"
        "r = hotspot_gistar([[430100.0, 330100.0], [430120, 330130]], cell_size=500)\n"
        "asbhub.outputs.hotspot_geojson(r, asbhub.outputs.make_stamp(r, data={}, command='t'))\n"
        "print('matplotlib' in sys.modules)\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    assert run.stdout.split() == ["False"]  # vector files and the stamp never load it
