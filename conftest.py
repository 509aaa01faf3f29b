"""Shared pytest fixtures: the small world with one person per role, and a logged-in client helper."""

import os

import pytest
from django.test import Client

# Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls there without this.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from runxin.testing.world import build_world


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def english(settings):
    """For tests that read English messages: pages asked without an Accept-Language header and the services' own
    messages both speak the default language, here English (the project's default is Chinese)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def client_for(db):
    """client_for(user) → a Django test client signed in as that user (second factor marked as passed)."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def django_db_serialized_rollback():
    """Transactional tests (browser tests) flush the database; restore what the data migrations seeded
    (special groups, instruments, warning levels) so later tests on the same worker still find it."""
    return True


@pytest.fixture(autouse=True)
def _second_factor_off_by_default(settings):
    # Tests of the second factor turn it back on; everything else signs in with force_login.
    settings.SECOND_FACTOR_WAIVED = True


@pytest.fixture(scope="session")
def browser():
    """Headless Debian chromium driven by Playwright (browsers cannot be downloaded here)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page_for(browser, live_server):
    """page_for(user, viewport=None) → a Playwright page signed in as `user` (password sign-in, real form)."""
    import os

    from runxin.testing.factories import TEST_PASSWORD

    contexts = []

    def make(user, *, viewport=None, locale="zh-CN"):
        context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900}, locale=locale)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", TEST_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        return page

    yield make
    for context in contexts:
        context.close()
    os.makedirs("test-artifacts", exist_ok=True)


@pytest.fixture(autouse=True)
def _default_levels(request):
    """What the data migrations and the post-migrate loader seed (warning levels, special-attention groups,
    shipped instruments): a transactional (browser) test ends with a flush that empties every table, and with
    --reuse-db the next session starts from that empty database; put them back so each test starts from what
    a fresh database holds (runxin/testing/seeds.py)."""
    if not any(name in request.fixturenames for name in ("db", "transactional_db")) \
            and "django_db" not in request.keywords:
        return
    request.getfixturevalue("db" if "transactional_db" not in request.fixturenames else "transactional_db")
    from runxin.testing import seeds

    seeds.restore()
