"""Who may take a screening: the consent rule, in one pure function (no database, no Django models).

The rule (PIPL art. 31: the personal information of a child under 14 is processed only with a guardian's
consent; mental-health answers are sensitive personal information, art. 28-29):

opt-out notice (告知, default for universal screening)
  - 14 and over: takes part unless the student or a guardian declined.
  - under 14:    the guardian must have been notified (the consent link was sent, opened, or a paper slip
                 recorded) and not have declined. An un-notified guardian blocks the child's screening.
opt-in consent (知情同意)
  - 14 and over: the student's own explicit consent, and no guardian declined.
  - under 14:    the guardian's explicit consent AND the child's own agreement.

A refusal, by the student or a guardian, always wins and is counted. Age is taken on the day the student
opens the questionnaire.

A questionnaire answered by a parent (respondent "parent", e.g. the PSC-17 parent form) is about the child but
given by the guardian: the parent choosing to fill it in is the guardian's own decision, so neither the
student's decision nor the guardian-notice rules above apply to it — it is always "ok". Only the child's
guardian can open it (the parent's home, through the scoping layer); a student and a class code never can.
"""

from dataclasses import dataclass
from datetime import date

OPT_OUT = "opt_out"
OPT_IN = "opt_in"
CONSENT_AGE = 14
STUDENT = "student"
PARENT = "parent"

# Guardian states (ConsentRecord.state) and student decisions (CampaignTarget.student_decision).
PENDING = "pending"
NOTIFIED = "notified"
CONSENTED = "consented"
DECLINED = "declined"
UNDECIDED = ""


@dataclass(frozen=True)
class Gate:
    """What stands between a student and the questionnaire.

    status: "ok" (may answer), "ask_student" (show the student's consent question),
            "wait_guardian" (a guardian must be notified or consent first),
            "declined_guardian" / "declined_student" (a refusal: no questionnaire).
    """

    status: str
    under_age: bool

    @property
    def may_answer(self) -> bool:
        return self.status == "ok"

    @property
    def declined(self) -> bool:
        return self.status in {"declined_guardian", "declined_student"}


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def gate(*, mode: str, birth_date: date, today: date, guardian_state: str, student_decision: str,
         respondent: str = STUDENT) -> Gate:
    """Apply the rule above. Unknown modes and respondents are refused rather than guessed."""
    if mode not in {OPT_OUT, OPT_IN}:
        raise ValueError(f"unknown consent mode {mode!r}")
    if respondent not in {STUDENT, PARENT}:
        raise ValueError(f"unknown respondent {respondent!r}")
    under_age = age_on(birth_date, today) < CONSENT_AGE
    if respondent == PARENT:  # the guardian answers: answering is their consent (see the module's note)
        return Gate("ok", under_age)
    if guardian_state == DECLINED:
        return Gate("declined_guardian", under_age)
    if student_decision == DECLINED:
        return Gate("declined_student", under_age)
    if under_age:
        guardian_ok = guardian_state == CONSENTED if mode == OPT_IN else guardian_state in {NOTIFIED, CONSENTED}
        if not guardian_ok:
            return Gate("wait_guardian", under_age)
    if mode == OPT_IN and student_decision != CONSENTED:
        return Gate("ask_student", under_age)
    return Gate("ok", under_age)
