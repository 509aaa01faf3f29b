"""Reads about notifications. A user only ever sees their own inbox."""

from dataclasses import dataclass

from .models import Notification

PAGE_SIZE = 50


@dataclass
class InboxPage:
    rows: list[Notification]
    number: int
    has_next: bool
    unread: int


def inbox_page(user, *, number: int = 1, unread_only: bool = False) -> InboxPage:
    number = max(1, number)
    qs = Notification.objects.filter(recipient=user, channel=Notification.Channel.INBOX)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    start = (number - 1) * PAGE_SIZE
    rows = list(qs.order_by("-created_at", "-id")[start:start + PAGE_SIZE + 1])
    unread = Notification.objects.filter(
        recipient=user, channel=Notification.Channel.INBOX, read_at__isnull=True
    ).count()
    return InboxPage(rows=rows[:PAGE_SIZE], number=number, has_next=len(rows) > PAGE_SIZE, unread=unread)


def sent_for(ref: str) -> list[Notification]:
    """Every notification recorded about one thing (a warning's page shows who was told, when, how)."""
    return list(Notification.objects.filter(ref=ref).select_related("recipient").order_by("created_at", "id"))


def unread_count(user) -> int:
    """Unread in-app notifications: the number beside 消息 in the navigation (one indexed count)."""
    return Notification.objects.filter(recipient=user, channel=Notification.Channel.INBOX,
                                       read_at__isnull=True).count()
