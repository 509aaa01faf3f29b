"""Deny by default: a view that has not declared its access (decorators.py) is refused."""

from django.conf import settings
from django.core.exceptions import PermissionDenied

# Third-party views that declare nothing but are safe: static files in development, language switch.
_ALLOWED_MODULES = ("django.views.static", "django.views.i18n", "django.contrib.staticfiles")


class DenyUndeclaredViewsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        target = getattr(view_func, "view_class", None) or view_func
        if getattr(view_func, "runxin_access", None) or getattr(target, "runxin_access", None):
            return None
        if getattr(view_func, "__module__", "").startswith(_ALLOWED_MODULES):
            return None
        if settings.DEBUG:
            raise PermissionDenied(f"view {view_func.__module__}.{view_func.__name__} declares no access")
        raise PermissionDenied("undeclared view")
