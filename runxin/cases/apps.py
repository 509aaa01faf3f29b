from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "runxin.cases"
    verbose_name = _("Case files and plans")

    def ready(self):
        from runxin.audit import registry as audit

        model = self.get_model
        # Every change to a case is in the change log, linked to the student; the encrypted texts are withheld
        # from the auditor's view (who changed what and when is enough to investigate).
        audit.register(model("CasePlan"), student_field="student",
                       withheld_fields=["assessment", "goals", "closing_summary"])
        audit.register(model("PlanAction"), withheld_fields=["description", "outcome"])
        audit.register(model("PlanReview"), withheld_fields=["progress"])
        audit.register(model("PeerWatch"), withheld_fields=["task"])
        audit.register(model("MentorContact"), student_field="student", withheld_fields=["note"])
        audit.register(model("CaseTransfer"), student_field="student")
        audit.register(model("IncidentReview"), student_field="student",
                       withheld_fields=["timeline", "findings", "actions"])
        audit.register(model("CrisisTeamMember"))
        audit.register(model("ContactPolicy"))
