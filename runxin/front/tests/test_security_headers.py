"""Issue 9 item 9 (headers): a Content-Security-Policy without 'unsafe-inline' on every page, and pages that
need none (no inline script, event handler, javascript: URL or style attribute); HSTS and the HTTPS
redirect behind a TLS proxy."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.template.loader import render_to_string
from django.test import override_settings
from django.urls import reverse

from runxin.alerts import services as alert_services
from runxin.imports import services as import_services
from runxin.screening import services as screening_services
from runxin.screening.tests.helpers import notify_guardians, open_campaign

ROOT = Path(__file__).resolve().parents[3]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
STYLE_ATTR = re.compile(r"\sstyle\s*=", re.I)


def assert_no_inline_code(html: str, where: str) -> None:
    assert not INLINE_SCRIPT.search(html), f"{where}: inline <script>: {INLINE_SCRIPT.search(html).group(0)}"
    match = HANDLER.search(html)
    assert not match, f"{where}: inline event handler near {html[max(0, match.start() - 80):match.end() + 40]!r}"
    match = STYLE_ATTR.search(html)
    assert not match, f"{where}: style attribute near {html[max(0, match.start() - 80):match.end() + 40]!r}"
    assert "javascript:" not in html.lower(), f"{where}: javascript: URL"
    assert "<style" not in html.lower(), f"{where}: <style> element"


def assert_strict_csp(response, where: str) -> None:
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy, where
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'", where
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'", where


@pytest.fixture
def pages(world, tmp_path, settings):
    """(who, url) pairs over the kinds of page: homes of several roles, a warning, the queue, the student list,
    campaign pages, the questionnaire, an import, the org unit with its chart, error pages."""
    settings.MEDIA_ROOT = tmp_path / "media"
    warning = alert_services.warning_raise_from_screening(
        student=world.a1, result_id="r1", suggested_level="critical", reasons=["PHQ-A item 9"], instrument_code="phq-a")
    campaign = open_campaign(world)
    notify_guardians(world, campaign)
    screening_services.codes_for_class(user=world.psych, campaign=campaign, school_class=world.class1)
    roster = tmp_path / "名单.csv"
    roster.write_text("学籍号,姓名\nG1,甲\n", encoding="utf-8")
    batch = import_services.batch_create(user=world.psych, school=world.school, kind="students", upload=roster,
                                         original_name="名单.csv")
    w = world
    return [
        (w.psych, "/"), (w.head, "/"), (w.leader, "/"), (w.city_admin, "/"), (w.hotline, "/"), (w.auditor, "/"),
        (w.student_user, "/"), (w.parent, "/"),
        (w.psych, reverse("alerts:detail", args=[warning.pk])),
        (w.psych, reverse("alerts:queue")), (w.head, reverse("alerts:queue")),
        (w.psych, reverse("alerts:report")), (w.city_admin, reverse("alerts:overview", args=[w.city.pk])),
        (w.psych, reverse("people:student_list")), (w.psych, reverse("people:student_detail", args=[w.a1.pk])),
        (w.psych, reverse("screening:campaign_list")), (w.psych, reverse("screening:campaign_detail", args=[campaign.pk])),
        (w.psych, reverse("screening:class_progress", args=[campaign.pk, w.class1.pk])),
        (w.psych, reverse("screening:class_consent", args=[campaign.pk, w.class1.pk])),
        (w.psych, reverse("screening:summary", args=[campaign.pk])),
        (w.psych, reverse("screening:campaign_new")),
        (w.student_user, reverse("screening:mine")),
        (w.psych, reverse("imports:roster_upload")), (w.psych, reverse("imports:batch_detail", args=[batch.pk])),
        (w.psych, reverse("org:tree")), (w.city_admin, reverse("org:unit", args=[w.school.pk])),
        (w.city_admin, reverse("org:rollover")),
        (w.psych, "/no-such-page/"), (w.outsider, reverse("people:student_detail", args=[w.a1.pk])),
    ]


def test_every_page_has_a_strict_policy_and_no_inline_code(pages, client_for, client):
    for user, url in pages:
        response = client_for(user).get(url, follow=True)
        where = f"{user.username} {url} → {response.status_code}"
        assert response.status_code in (200, 403, 404), where
        assert_strict_csp(response, where)
        assert_no_inline_code(response.content.decode(), where)
    login = client.get(reverse("accounts:login"))
    assert_strict_csp(login, "login")
    assert_no_inline_code(login.content.decode(), "login")


def test_the_questionnaire_has_no_inline_code(world, client, tmp_path):
    campaign = open_campaign(world)
    notify_guardians(world, campaign)
    screening_services.codes_for_class(user=world.psych, campaign=campaign, school_class=world.class1)
    from runxin.screening.models import CampaignTarget

    code = CampaignTarget.objects.get(campaign=campaign, student=world.a1).access_code
    response = client.get(reverse("screening:code_landing", args=[code]), follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "take.js" in html  # we are on the questionnaire
    assert_strict_csp(response, "questionnaire")
    assert_no_inline_code(html, "questionnaire")


@pytest.mark.parametrize("template", ["400.html", "403.html", "404.html", "500.html"])
def test_error_pages_go_back_without_javascript_urls(template, rf, world):
    html = render_to_string(template, {"request": rf.get("/"), "user": world.outsider} if template != "500.html"
                            else {})
    assert_no_inline_code(html, template)
    assert "data-history-back" in html and "runxin/site.js" in html


def test_the_htmx_indicator_style_is_ours_not_injected(client_for, world):
    html = client_for(world.psych).get("/").content.decode()
    assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles":false' in html
    css = (ROOT / "runxin/front/static/runxin/app.css").read_text()
    assert ".htmx-request .htmx-indicator" in css


def test_behind_a_tls_proxy_http_is_redirected_and_https_carries_hsts(client, world):
    with override_settings(SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"), SECURE_SSL_REDIRECT=True,
                           SECURE_HSTS_SECONDS=31536000):
        plain = client.get("/accounts/login/")
        assert plain.status_code == 301 and plain["Location"] == "https://testserver/accounts/login/"
        secure = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
        assert secure.status_code == 200
        assert secure["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in client.get("/accounts/login/")  # not without the proxy


def test_the_tls_proxy_setting_switches_redirect_hsts_and_secure_cookies():
    code = ("import os, django; os.environ['DJANGO_SETTINGS_MODULE'] = 'runxin.settings'; django.setup(); "
            "from django.conf import settings as s; print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, "
            "s.SECURE_PROXY_SSL_HEADER, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)")
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "BEHIND_TLS_PROXY"}}
    env.update(RUNXIN_DEMO="1", DATABASE_URL="postgres://postgres@127.0.0.1:5432/runxin")
    run = [sys.executable, "-c", code]
    on = subprocess.run(run, env={**env, "BEHIND_TLS_PROXY": "1"}, cwd=ROOT, capture_output=True, text=True,  # noqa: S603
                        timeout=60)
    off = subprocess.run(run, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)  # noqa: S603
    assert on.stdout.split() == ["True", "31536000", "('HTTP_X_FORWARDED_PROTO',", "'https')", "True", "True"], on.stderr
    assert off.stdout.split() == ["False", "0", "None", "False", "False"], off.stderr


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_in_a_browser_nothing_is_refused_and_htmx_and_charts_still_work(page_for, live_server):
    from runxin.testing.world import build_world

    world = build_world()
    page = page_for(world.city_admin, locale="en-US")
    messages = []
    page.on("console", lambda message: messages.append(message.text))
    page.on("pageerror", lambda error: messages.append(str(error)))

    for url in ["/", f"/org/{world.school.pk}/", f"/alerts/overview/{world.city.pk}/", "/no-such-page/"]:
        page.goto(live_server.url + url)
        page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/org/{world.school.pk}/")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("() => !!(window.Chart && Chart.getChart(document.getElementById('grade-sex-chart')))")

    # htmx: the region tree loads a district's schools when it is opened
    page.goto(f"{live_server.url}/org/")
    page.wait_for_load_state("networkidle")
    assert page.locator(f"a[href='/org/{world.school.pk}/']").count() == 0
    page.locator(f"summary[hx-get='/org/{world.east.pk}/children/']").click()
    page.wait_for_selector(f"a[href='/org/{world.school.pk}/']", state="attached")
    # the language switch submits itself (site.js, no inline handler)
    with page.expect_navigation():  # the submit navigates; waiting for "networkidle" alone can win the race
        page.select_option("#lang-select", "zh-hans")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "zh-CN"

    refused = [m for m in messages if "Content Security Policy" in m or m.startswith("Refused")]
    assert refused == []
    assert [m for m in messages if "error" in m.lower()] == []
