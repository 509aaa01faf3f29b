"""The tests that read ../shared's FHIR files: skipped without them on a developer's machine, failed in CI."""

import pytest
from _pytest.outcomes import Failed, Skipped

from runxin.testing import shared


def test_the_shared_fhir_files_are_where_the_tests_look():
    shared.require(shared.SHARED_FHIR / "mii_phq9_q.json", shared.SHARED_FHIR / "mii_phq9_qr.json")
    assert {"mii_phq9_q.json", "mii_phq9_qr.json"} <= set(shared.fhir_files())


@pytest.mark.parametrize("ci,outcome", [("true", Failed), ("1", Failed), ("", Skipped), ("false", Skipped)])
def test_a_missing_shared_file_fails_in_ci_and_skips_elsewhere(monkeypatch, tmp_path, ci, outcome):
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="absent.json"):
        shared.require(tmp_path / "absent.json")


def test_the_decorated_test_reports_the_missing_file_before_it_runs(monkeypatch, tmp_path):
    monkeypatch.setenv("CI", "true")
    ran = []

    @shared.needs(tmp_path / "absent.json")
    def a_test(world=None):
        ran.append(world)

    with pytest.raises(Failed):
        a_test(world="w")
    assert ran == []


def test_an_empty_shared_folder_still_yields_a_test_that_reports_it(monkeypatch, tmp_path):
    monkeypatch.setattr(shared, "SHARED_FHIR", tmp_path / "nowhere")
    assert shared.fhir_files() == ["mii_phq9_q.json"]
