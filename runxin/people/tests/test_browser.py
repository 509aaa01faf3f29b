"""A class list on a phone: every student is a card with labelled fields, the page stays short, and nothing
needs scrolling sideways. Screenshots at 390 px and at desktop width go to test-artifacts/."""

import os

import pytest

from runxin.testing import factories as f

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def full_class(world):
    """A class of 45, as in a real junior secondary school."""
    for n in range(43):
        f.StudentFactory(name=f"学生{n:02d}", school_class=world.class1)
    return world.class1


def open_class_list(page, live_server, school_class):
    page.goto(f"{live_server.url}/students/?school={school_class.school_id}&class={school_class.pk}")
    page.wait_for_load_state("networkidle")
    assert page.locator("#student-results tbody tr").count() == 45


def test_class_list_on_a_phone_is_cards_without_sideways_scrolling(world, full_class, page_for, live_server):
    page = page_for(world.head, viewport=PHONE)
    open_class_list(page, live_server, full_class)
    page.screenshot(path="test-artifacts/class-list-390.png", full_page=True)

    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 45 * 200, f"the class list is {height} px tall on a phone"
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls {overflow} px sideways"

    first = page.locator("#student-results tbody tr").first
    assert first.evaluate("row => getComputedStyle(row).display") == "block"
    assert page.locator("#student-results thead").evaluate("head => head.getBoundingClientRect().height") <= 1
    # Each value carries its column name, in Chinese.
    label = first.locator("td[data-label]").first.evaluate("cell => getComputedStyle(cell, '::before').content")
    assert label == '"学籍号"'
    # Cards sit side by side with the viewport: none wider than the screen.
    widest = page.evaluate("Math.max(...[...document.querySelectorAll('#student-results tr')]"
                           ".map(r => r.getBoundingClientRect().right))")
    assert widest <= PHONE["width"]


def test_class_list_on_a_desktop_stays_a_table(world, full_class, page_for, live_server):
    page = page_for(world.head, viewport=DESKTOP)
    open_class_list(page, live_server, full_class)
    page.screenshot(path="test-artifacts/class-list-desktop.png", full_page=True)
    first = page.locator("#student-results tbody tr").first
    assert first.evaluate("row => getComputedStyle(row).display") == "table-row"
    assert page.locator("#student-results thead").evaluate("head => head.getBoundingClientRect().height") > 20
