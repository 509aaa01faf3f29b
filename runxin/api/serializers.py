"""Shapes of the API's requests and answers. They validate input and describe output for the schema; the
rules live in the services and selectors they are handed to."""

from rest_framework import serializers

from runxin.alerts.export import FIELDS
from runxin.alerts.triage import URGENCIES
from runxin.imports.models import ImportBatch


class StudentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    student_number = serializers.CharField(help_text="学籍号; masked unless the account may see the ID number")
    name = serializers.CharField()
    sex = serializers.CharField()
    status = serializers.CharField()
    school_id = serializers.IntegerField(allow_null=True)
    school_code = serializers.CharField(allow_null=True)
    class_id = serializers.IntegerField(allow_null=True)
    class_name = serializers.CharField(allow_null=True)
    updated_at = serializers.DateTimeField()


def _export_field(name: str, doc) -> serializers.Field:
    if name in {"warning_id", "level_severity", "escalation_count", "reopen_count"}:
        return serializers.IntegerField(help_text=str(doc), allow_null=name != "warning_id")
    if name in {"revisited", "referred", "dismissed"}:
        return serializers.BooleanField(help_text=str(doc))
    return serializers.CharField(help_text=str(doc), allow_null=True)


# The provincial export's record (alerts/export.py), field for field.
WarningRecordSerializer = type("WarningRecordSerializer", (serializers.Serializer,),
                               {name: _export_field(name, doc) for name, doc in FIELDS})


class HospitalFeedbackSerializer(serializers.Serializer):
    hospital_name = serializers.CharField(max_length=100, help_text="The hospital that sends the feedback.")
    summary = serializers.CharField(max_length=4000, help_text="What the hospital found or advises.")
    urgency = serializers.ChoiceField(choices=["", *URGENCIES], required=False, default="",
                                      help_text="now: happening now (enters at the most severe level).")


class FeedbackResultSerializer(serializers.Serializer):
    warning_id = serializers.IntegerField(help_text="The warning the report joined or opened.")
    level_code = serializers.CharField()
    state = serializers.CharField()


class ImportBatchCreateSerializer(serializers.Serializer):
    school_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    kind = serializers.ChoiceField(choices=ImportBatch.Kind.values, default=ImportBatch.Kind.STUDENTS)
    file = serializers.FileField(help_text="The roster or staff file (.xlsx or .csv), as on the import page.")


class ImportCommitSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=ImportBatch.Mode.values)


class ProblemSerializer(serializers.Serializer):
    line = serializers.IntegerField(allow_null=True)
    column = serializers.CharField(allow_null=True)
    reason = serializers.CharField()


class ImportBatchSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    status = serializers.CharField()
    mode = serializers.CharField()
    school_id = serializers.IntegerField()
    original_name = serializers.CharField()
    rows_read = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    rejected = serializers.IntegerField()
    error = serializers.CharField()
    problems = ProblemSerializer(many=True)
    created_at = serializers.DateTimeField()
    imported_at = serializers.DateTimeField(allow_null=True)


class CampaignSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.CharField()
    owner_id = serializers.IntegerField()
    window_start = serializers.DateField()
    window_end = serializers.DateField()


class BandGroupSerializer(serializers.Serializer):
    group = serializers.CharField(help_text="class name or grade")
    counts = serializers.ListField(child=serializers.IntegerField(),
                                   help_text="per band, in the order of `bands`, then 'not scored'")
    total = serializers.IntegerField()


class BandSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    level = serializers.CharField()


class DistributionSerializer(serializers.Serializer):
    instrument_code = serializers.CharField()
    title = serializers.CharField()
    not_scored = serializers.BooleanField()
    bands = BandSerializer(many=True)
    groups = BandGroupSerializer(many=True)


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
