"""`python -m bench [NAME...]`: run every bench/bench_*.py module's ``run()`` (or the named ones)."""

import importlib
import pkgutil
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    wanted = [a if a.startswith("bench_") else f"bench_{a}" for a in argv]
    for name in wanted or names:
        if name not in names:
            print(f"no bench named {name!r}; have: {', '.join(names)}", file=sys.stderr)
            return 2
        print(f"\n=== {name} ===", flush=True)
        importlib.import_module(f"bench.{name}").run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
