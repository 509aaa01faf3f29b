from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "runxin.cases"
    verbose_name = _("Case files and plans")

    def ready(self):
        from runxin.audit import registry as audit

        model = self.get_model
        # Every change to a case is in the change log, linked to the student. The encrypted texts are left out of
        # it altogether: the log stores values in clear, so a withheld field would undo the encryption at rest.
        audit.register(model("CasePlan"), student_field="student",
                       exclude_fields=["assessment", "goals", "closing_summary"])
        audit.register(model("PlanAction"), exclude_fields=["description", "outcome"])
        audit.register(model("PlanReview"), exclude_fields=["progress"])
        audit.register(model("PeerWatch"), exclude_fields=["task"])
        audit.register(model("MentorContact"), student_field="student", exclude_fields=["note"])
        audit.register(model("CaseTransfer"), student_field="student")
        audit.register(model("IncidentReview"), student_field="student",
                       exclude_fields=["timeline", "findings", "actions"])
        audit.register(model("CrisisTeamMember"))
        audit.register(model("ContactPolicy"))
