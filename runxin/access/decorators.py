"""View declarations. A view says what it needs; DenyUndeclaredViewsMiddleware refuses any view that does not."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.template.loader import render_to_string

from . import scope
from .read_audit import ReadAuditFailed

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


def audited_read(view: Callable) -> Callable:
    """A view that shows identified sensitive data: it runs in one transaction, so its read-audit rows
    (read_audit.record_read / record_reads) and the response are committed together. If the audit cannot be
    written, or the commit fails, nothing of the record is sent: the visitor gets a 503 error page.
    Put it under the access declaration (@requires …), so refusals never open a transaction."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            with transaction.atomic():
                response = view(request, *args, **kwargs)
                if callable(getattr(response, "render", None)) and not getattr(response, "is_rendered", True):
                    response.render()  # a TemplateResponse renders inside the transaction, not after it
        except ReadAuditFailed:
            return read_audit_unavailable(request)
        return response

    return wrapper


def read_audit_unavailable(request) -> HttpResponse:
    """The error page sent instead of a record whose read could not be audited (standalone 500.html: it
    needs no database)."""
    response = HttpResponse(render_to_string("500.html"), status=503)
    response["Retry-After"] = "60"
    return response
