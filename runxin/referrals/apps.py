from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "runxin.referrals"
    verbose_name = _("Referrals and the green channel")

    def ready(self) -> None:
        from runxin import audit

        # Each change of a referral is in the change audit, linked to the student; what the school wrote and what
        # the hospital answered stay out of the audit pages. The steps are rows of their own (append-only).
        audit.register(self.get_model("Referral"), student_field="student",
                       withheld_fields=["reason", "clinical_summary", "return_advice", "return_arrangements",
                                        "guardian_response", "decline_reason", "guardian_name"])
        audit.register(self.get_model("ReferralEvent"), withheld_fields=["note"])
