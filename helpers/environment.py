"""Is this environment ready for the lessons? (used by lesson 00)"""

import sys
from importlib import metadata

DISTRIBUTION = "transformers-by-hand"


def requirements():
    """The runtime requirements this package declares, as packaging Requirement objects."""
    from packaging.requirements import Requirement

    reqs = [Requirement(r) for r in metadata.requires(DISTRIBUTION) or []]
    return [r for r in reqs if r.marker is None]  # extras (tests only) carry a marker


def check_environment(show=True):
    """List each required package with its installed version; return True when all are fine.

    A package that is missing or older than the declared lower bound is named,
    with the command that fixes it.
    """
    rows, ok = [], True
    for req in requirements():
        try:
            version = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            version, good = "missing", False
        else:
            good = req.specifier.contains(version, prereleases=True)
        ok &= good
        rows.append((req.name, str(req.specifier) or "any", version, "ok" if good else "PROBLEM"))
    if show:
        print(f"Python {sys.version.split()[0]}")
        width = max([12, *(len(name) for name, *_ in rows)])  # the longest name
        print(f"{'package':<{width}} {'needs':<8} {'installed':<12} status")
        for name, spec, version, status in rows:
            print(f"{name:<{width}} {spec:<8} {version:<12} {status}")
        if not ok:
            print("\nSome packages are missing or too old. From the project folder run: make lab")
    return ok
