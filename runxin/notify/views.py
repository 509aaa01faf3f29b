"""The in-app inbox: each staff user's own notifications."""

from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from runxin.access import roles
from runxin.access.decorators import requires

from . import selectors, services


@requires(roles.INBOX)
def inbox(request):
    raw = request.GET.get("page", "")
    # Page 1 for a missing, malformed or absurd page number, which would otherwise overflow the query's OFFSET.
    number = int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) <= 6 else 1
    page = selectors.inbox_page(request.user, number=number, unread_only=request.GET.get("unread") == "1")
    return render(request, "notify/inbox.html", {"page": page, "unread_only": request.GET.get("unread") == "1"})


@require_POST
@requires(roles.INBOX)
def open_notification(request, notification_id: int):
    """Mark one's own notification read and go to what it is about."""
    item = services.mark_read(user=request.user, notification_id=notification_id)
    if item is None:
        return redirect("notify:inbox")
    if item.url and url_has_allowed_host_and_scheme(item.url, allowed_hosts=None):
        return redirect(item.url)
    return redirect("notify:inbox")


@require_POST
@requires(roles.INBOX)
def read_all(request):
    services.mark_all_read(user=request.user)
    return redirect("notify:inbox")
