"""`runxin import-roster` and `runxin import-staff` for IT staff who script imports."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from runxin.imports.models import ImportBatch
from runxin.people.models import Student

from .helpers import student_row, write_csv

pytestmark = pytest.mark.django_db


def cli(*args) -> tuple[int, dict]:
    out = io.StringIO()
    try:
        call_command(*args, stdout=out)
        code = 0
    except CommandError as error:
        code = error.returncode
    return code, json.loads(out.getvalue())


def test_import_prints_a_json_report_and_exits_1_when_rows_are_rejected(world, tmp_path):
    path = write_csv(tmp_path / "r.csv", [student_row(1), student_row(2, 出生日期="20110230"), student_row(3)])
    code, report = cli("import_roster", str(path), "--school", "S-E1", "--as", "psych")
    assert code == 1
    assert (report["rows_read"], report["imported"], report["created"], report["rejected"]) == (3, 2, 2, 1)
    assert report["rejections"] == [{"line": 3, "column": "出生日期 (D)", "reason": "20110230 is not a real date"}]
    assert Student.objects.filter(school=world.school).count() == 5
    batch = ImportBatch.objects.get()
    assert (batch.via, batch.status, batch.created_by) == ("cli", "imported", world.psych)


def test_clean_file_exits_0_and_a_reimport_changes_nothing(world, tmp_path):
    path = write_csv(tmp_path / "r.csv", [student_row(1), student_row(2)])
    assert cli("import_roster", str(path), "--school", "S-E1")[0] == 0
    code, report = cli("import_roster", str(path), "--school", "S-E1")
    assert code == 0 and (report["created"], report["updated"], report["unchanged"]) == (0, 0, 2)
    assert report["rejections"] == []


def test_dry_run_writes_nothing(world, tmp_path):
    path = write_csv(tmp_path / "r.csv", [student_row(1, klass="九年级(8)班")])
    before = (Student.objects.count(), world.school.__class__.objects.count())
    code, report = cli("import_roster", str(path), "--school", "S-E1", "--dry-run")
    assert code == 0 and report["dry_run"] and report["created"] == 1 and report["written"] is False
    assert (Student.objects.count(), world.school.__class__.objects.count()) == before


def test_mode_all_refuses_a_file_with_a_bad_row(world, tmp_path):
    path = write_csv(tmp_path / "r.csv", [student_row(1), student_row(2, 性别="x")])
    code, report = cli("import_roster", str(path), "--school", "S-E1", "--mode", "all")
    assert code == 1 and report["refused"] and report["imported"] == 0
    assert Student.objects.filter(school=world.school).count() == 3


@pytest.mark.parametrize("args, fragment", [
    (["missing.csv", "--school", "S-E1"], "no such file"),
    (["{path}", "--school", "NOPE"], "no school"),
    (["{path}", "--school", "S-E1", "--as", "nobody"], "no active user"),
    (["{path}", "--school", "S-W1", "--as", "psych"], "may not import"),
])
def test_bad_invocations_exit_2(world, tmp_path, args, fragment):
    path = write_csv(tmp_path / "r.csv", [student_row(1)])
    code, report = cli("import_roster", *[a.format(path=path) for a in args])
    assert code == 2 and fragment in report["error"]


def test_unreadable_file_exits_2(world, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("foo,bar\n1,2\n", encoding="utf-8")
    code, report = cli("import_roster", str(path), "--school", "S-E1")
    assert code == 2 and "no header row" in report["error"]


@pytest.mark.parametrize("command", ["import_roster", "import_units"])
def test_the_report_is_english_and_the_caller_keeps_its_language(world, tmp_path, command):
    # The demo generator calls the imports and then writes notices and histories: after an import the process
    # was English, and 643 of the demo's 3,329 notices were. The report stays English for the terminal.
    from django.utils import translation

    path = write_csv(tmp_path / "r.csv", [student_row(1)])
    with translation.override("zh-hans"):
        args = (command, str(path), "--school", "S-E1") if command == "import_roster" else (command, str(path))
        out = io.StringIO()
        try:
            call_command(*args, "--as", "city_admin", stdout=out)
        except CommandError:
            pass
        assert translation.get_language() == "zh-hans"
        assert translation.gettext("Parent's report") == "家长报告"
    assert out.getvalue().startswith("{")
