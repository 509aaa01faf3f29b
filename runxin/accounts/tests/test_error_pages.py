"""Error pages (400, 403, 404, 500) are Chinese first, styled like the site, and lead home. The 500 page is
standalone: it needs no context processor and no database."""

import pytest
from django.template.loader import render_to_string
from django.test import Client

pytestmark = pytest.mark.django_db

STYLESHEET = "/static/runxin/app.css"


def assert_styled_error_page(body: str, code: str, heading: str):
    assert 'lang="zh-CN"' in body
    assert STYLESHEET in body
    assert 'class="card error-page"' in body
    assert f'<p class="error-code">{code}</p>' in body
    assert f"<h1>{heading}</h1>" in body
    assert '<a class="btn" href="/">返回首页</a>' in body
    assert "data-history-back" in body and "javascript:" not in body  # the back link, wired by site.js (CSP)
    assert "Not Found" not in body and "Server Error" not in body and "Forbidden" not in body


def test_unknown_address_is_the_chinese_404_page(world, client_for):
    response = client_for(world.psych).get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert_styled_error_page(body, "404", "页面不存在")
    assert "psych" in body  # the site's header, with the signed-in user, is there


def test_anonymous_visitor_gets_the_same_404_page():
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert_styled_error_page(response.content.decode(), "404", "页面不存在")


def test_page_the_user_may_not_open_is_the_chinese_403_page(world, client_for):
    response = client_for(world.psych).get("/audit/")
    assert response.status_code == 403
    body = response.content.decode()
    assert_styled_error_page(body, "403", "无权访问")
    assert "audit.search" not in body  # the permission name is not shown


def test_english_reader_gets_the_english_page(world, client_for):
    response = client_for(world.psych).get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    assert "<h1>Page not found</h1>" in response.content.decode()


@pytest.mark.urls("runxin.accounts.tests.error_urls")
def test_a_view_that_raises_gives_the_standalone_chinese_500_page(django_assert_max_num_queries):
    client = Client(raise_request_exception=False)
    response = client.get("/test-broken/")
    assert response.status_code == 500
    body = response.content.decode()
    assert_styled_error_page(body, "500", "服务器出错了")
    assert "RuntimeError" not in body and "a bug" not in body


@pytest.mark.urls("runxin.accounts.tests.error_urls")
def test_a_bad_request_gives_the_chinese_400_page():
    response = Client().get("/test-suspicious/")
    assert response.status_code == 400
    body = response.content.decode()
    assert_styled_error_page(body, "400", "请求无效")
    assert "tampered" not in body


def test_500_page_renders_without_request_context_or_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        body = render_to_string("500.html")
    assert STYLESHEET in body and 'href="/"' in body
