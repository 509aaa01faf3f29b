from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "runxin.referrals"
    verbose_name = _("Referrals and the green channel")

    def ready(self) -> None:
        from runxin import audit

        # Each change of a referral is in the change audit, linked to the student. The encrypted texts are not
        # tracked at all: the audit table would keep them in plain text (withheld fields are hidden from the audit
        # pages, not from the database). Each step is a ReferralEvent row of its own, so what happened stays
        # visible; the plain personal fields are tracked and withheld.
        audit.register(self.get_model("Referral"), student_field="student",
                       exclude_fields=["reason", "clinical_summary", "return_advice", "return_arrangements"],
                       withheld_fields=["guardian_response", "decline_reason", "guardian_name"])
        audit.register(self.get_model("ReferralEvent"), exclude_fields=["note"])
