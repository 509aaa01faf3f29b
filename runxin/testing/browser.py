"""Steps the browser tests share."""

import logging

from runxin.accounts import sms_codes


def sign_in_by_sms(page, base_url: str, phone: str, caplog) -> None:
    """A parent signs in with their phone and the code the logging SMS adapter wrote; ends on their home page."""
    page.goto(f"{base_url}/accounts/parent/")
    page.fill("#id_phone", phone)
    with caplog.at_level(logging.INFO, logger="runxin.notify"):
        page.locator("form button[type=submit]").click()
        page.wait_for_url("**/accounts/parent/code/")
    code = sms_codes.code_in_log(caplog.text, phone)
    assert code, "no SMS code in the log"
    page.fill("#id_code", code)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/family/")


def fits_the_screen(page) -> bool:
    """No sideways scrolling at the page's width."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
