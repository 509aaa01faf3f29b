"""The list tables carry the phone card pattern (table.cards, app.css): each cell names its column in
data-label, so on a phone every row reads as a card (the layout itself: test_browser.py)."""

import re

import pytest

pytestmark = pytest.mark.django_db


def card_table(body: str) -> str:
    match = re.search(r'<table class="data cards"[^>]*>.*?</table>', body, re.S)
    assert match, "no table.cards on the page"
    return match.group(0)


@pytest.mark.parametrize(("who", "url", "labels"), [
    ("head", "/students/", ["学籍号", "性别", "班级"]),
    ("secadmin", "/accounts/staff/", ["姓名", "角色", "状态"]),
    ("auditor", "/audit/", ["操作", "用户", "IP 地址"]),
])
def test_list_cells_name_their_column(world, client_for, who, url, labels):
    from runxin.access.read_audit import record_read

    record_read(user=world.psych, student=world.a1, record_type="student.profile", record_id=world.a1.pk)
    body = client_for(getattr(world, who)).get(url, HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    table = card_table(body)
    for label in labels:
        assert f'data-label="{label}"' in table, label
    assert re.search(r'class="[^"]*card-title', table)


def test_inbox_rows_are_cards(world, client_for):
    from runxin.notify.models import Notification

    Notification.objects.create(recipient=world.psych, channel=Notification.Channel.INBOX, subject="新预警",
                                body="七年级(1)班有一条新预警")
    table = card_table(client_for(world.psych).get("/inbox/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode())
    assert "新预警" in table and 'data-label="' in table
