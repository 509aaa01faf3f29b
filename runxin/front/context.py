from django.conf import settings

from . import nav


def site(request) -> dict:
    user = getattr(request, "user", None)
    return {
        "site": {
            "demo_mode": settings.DEMO_MODE,
            "second_factor_waived": settings.SECOND_FACTOR_WAIVED,
            "nav": nav.items_for(request) if user is not None and user.is_authenticated else [],
            "lockout_limit": settings.AXES_FAILURE_LIMIT,
            "lockout_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        }
    }
