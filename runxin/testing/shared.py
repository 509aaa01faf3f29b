"""Third-party fixtures kept beside the checkout in ../shared (e.g. the MII PHQ-9 FHIR files).

A developer without ../shared may skip the tests that read them; CI may not: there a missing file fails
the test with the path it looked for, so a broken checkout cannot pass as "skipped". CI is recognised by
the CI environment variable (CI=true, as GitHub Actions, GitLab and most runners set it).
"""

import functools
import os
from pathlib import Path

import pytest

SHARED_FHIR = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "fhir"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def require(*paths: Path) -> None:
    """Skip (locally) or fail (in CI) unless every path exists."""
    missing = [str(path) for path in paths if not path.exists()]
    if not missing:
        return
    message = f"shared fixtures missing: {', '.join(missing)}"
    if in_ci():
        pytest.fail(message + " (CI=true: a missing fixture is a failure, not a skip)", pytrace=False)
    pytest.skip(message)


def needs(*paths: Path):
    """Decorator form of `require` for a test function (its fixtures and parameters are kept)."""

    def decorate(test):
        @functools.wraps(test)
        def run(*args, **kwargs):
            require(*paths)
            return test(*args, **kwargs)

        return run

    return decorate


def fhir_files() -> list[str]:
    """The names of the shared FHIR files to parametrize over; when there are none, one name that
    `require` then reports (so the test is skipped locally and fails in CI, never silently dropped)."""
    names = sorted(p.name for p in SHARED_FHIR.glob("*.json")) if SHARED_FHIR.is_dir() else []
    return names or ["mii_phq9_q.json"]
