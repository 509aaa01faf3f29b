from django.apps import AppConfig


class Config(AppConfig):
    name = "runxin.audit"
    label = "audit"

    def ready(self) -> None:
        """Track the records that matter. Other apps register their own models the same way (see __init__)."""
        from django.apps import apps

        from . import register
        from .middleware import connect

        connect()

        model = apps.get_model
        # Student personal data stays out of the auditor's sight: the auditor sees that a field changed, not
        # to what. Placement columns (class, school, status) are administrative and shown.
        register(model("people", "Student"), student_field="id", exclude_fields=["updated_at"],
                 withheld_fields=["name", "sex", "birth_date", "id_number", "boarding", "is_key_student"])
        register(model("people", "Guardian"), student_field="student", withheld_fields=["name", "relation", "phone"])
        # Membership of a special-attention group (留守, 残疾, 丧亲 …) is itself sensitive.
        register(model("people", "GroupMembership"), student_field="student",
                 withheld_fields=["group", "since", "note"])
        register(model("people", "Enrollment"), student_field="student")
        register(model("people", "RoleAssignment"), student_field="student")
        register(model("people", "MentorPair"), student_field="student")
        register(model("people", "SpecialGroup"))
        # Class psych committee appointments; key-student markings, whose reason the auditor does not read.
        register(model("people", "CommitteeAppointment"), student_field="student")
        register(model("people", "KeyStudentMark"), student_field="student", withheld_fields=["reason"])
        register(model("people", "KeyStudentCategory"))
        register(model("org", "OrgUnit"))
        register(model("org", "SchoolYear"))
        register(model("org", "ServiceGroup"))
        register(model("org", "ServiceGroupSchool"))
        register(model("org", "ServiceGroupStaff"))
        register(model("accounts", "User"), exclude_fields=["password", "last_login"])
        register(model("access", "BreakGlassGrant"), student_field="student")
        # Enrolment, confirmation and reset of a second factor; not the key, nor the counters each sign-in bumps.
        register(model("otp_totp", "TOTPDevice"), include_fields=["user", "name", "confirmed"])
        register(model("audit", "Export"))
