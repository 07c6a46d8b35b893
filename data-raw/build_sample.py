"""Rebuild asbhub/data/sample/: the real Derbyshire months that `make demo` loads.

Usage: python data-raw/build_sample.py [PATH/TO/shared/data/police-uk]

Copies the data.police.uk street-level files byte for byte into one zip archive laid out as
the site's own download (YYYY-MM/YYYY-MM-derbyshire-street.csv), with a fixed timestamp so the
archive is the same on every machine.
"""

import sys
import zipfile
from pathlib import Path

MONTHS = ("2018-12", "2019-01", "2019-02")
HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "asbhub" / "data" / "sample" / "police-uk-derbyshire-2018-12-to-2019-02.zip"


def main() -> None:
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent.parent / "shared" / "data" / "police-uk"
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(OUT, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for m in MONTHS:
            name = f"{m}/{m}-derbyshire-street.csv"
            info = zipfile.ZipInfo(name, date_time=(2019, 4, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, (src / name).read_bytes(), compresslevel=9)
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
