"""Help shown to a student: hotline numbers, the not-a-diagnosis sentence and the referral path."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _

# Override with settings.HELP_HOTLINES = [("12356", "label"), …] for a region's own numbers.
DEFAULT_HOTLINES = [
    ("12356", _("National psychological assistance hotline (全国心理援助热线)")),
    ("12355", _("Youth service line (青少年服务台)")),
]


def hotlines() -> list[tuple[str, str]]:
    return list(getattr(settings, "HELP_HOTLINES", DEFAULT_HOTLINES))


# Police and ambulance; settings.HELP_EMERGENCY_NUMBERS overrides them (never written into a template).
DEFAULT_EMERGENCY_NUMBERS = ["110", "120"]


def emergency_numbers() -> list[str]:
    return list(getattr(settings, "HELP_EMERGENCY_NUMBERS", DEFAULT_EMERGENCY_NUMBERS))
