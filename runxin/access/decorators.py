"""View declarations. A view says what it needs; DenyUndeclaredViewsMiddleware refuses any view that does not."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from . import scope

PUBLIC = "public"
SIGNED_IN = "signed_in"


def public(view: Callable) -> Callable:
    """Open to anyone (the sign-in page, a guardian's consent link with its own token …)."""
    view.runxin_access = PUBLIC  # type: ignore[attr-defined]
    return view


def signed_in(view: Callable) -> Callable:
    """Any signed-in user; the view itself narrows what it shows through the scoping layer."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    wrapper.runxin_access = SIGNED_IN  # type: ignore[attr-defined]
    return wrapper


def requires(permission: str) -> Callable[[Callable], Callable]:
    """A signed-in user holding `permission` in at least one active role assignment; others get 403."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not scope.has_permission(request.user, permission):
                raise PermissionDenied(permission)
            return view(request, *args, **kwargs)

        wrapper.runxin_access = permission  # type: ignore[attr-defined]
        return wrapper

    return decorate
