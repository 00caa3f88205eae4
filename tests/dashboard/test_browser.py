"""The dashboard in a real browser: the link signs in, the overview shows the campaign and follows it
live, refusals are plain pages, and no page logs a JavaScript error."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By

from bot.testing.harness import FACILITATOR
from tests.dashboard.browser import chromium, run, wait_until
from tests.dashboard.conftest import dashboard_link

LIVE_WITHIN_SECONDS = 2


@pytest.fixture(scope="module")
def browser() -> Iterator:
    yield from chromium()


@pytest.fixture
def fresh(browser):  # noqa: ANN001, ANN201
    browser.get("about:blank")  # the last test's page stops polling its server, gone now
    browser.delete_all_cookies()
    browser.get_log("browser")  # forget what earlier tests logged
    return browser


def text_of(browser, selector: str) -> str:  # noqa: ANN001
    return browser.find_element(By.CSS_SELECTOR, selector).text


def errors(browser) -> list[str]:  # noqa: ANN001
    return [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


async def test_a_link_opens_the_overview_and_a_new_idea_shows_without_reloading(web, fresh):
    await web.start_parks()
    await web.say("/join #parks", user="alice")
    await web.say("/idea Benches by the pond", user="alice")
    await web.say("/round 2h What would you change first?", user=FACILITATOR)
    await run(fresh.get, await dashboard_link(web))
    assert fresh.current_url.endswith("/c/1")
    assert await run(text_of, fresh, '[data-count="ideas"]') == "1"
    assert await run(text_of, fresh, '[data-count="members"]') == "1"
    assert "Benches by the pond" in await run(text_of, fresh, "#latest")
    countdown = await run(text_of, fresh, "[data-countdown]")
    assert countdown.startswith(("01:59", "02:00")), countdown

    await web.say("/idea Lights along the <river> path", user="alice")
    waited = await wait_until(
        lambda: "Lights along the <river> path" in text_of(fresh, "#latest")
        and text_of(fresh, '[data-count="ideas"]') == "2",
        timeout=LIVE_WITHIN_SECONDS,
    )
    assert waited < LIVE_WITHIN_SECONDS
    assert await run(errors, fresh) == []


async def test_a_reused_link_and_a_visitor_without_a_session_see_a_plain_refusal(web, fresh):
    await web.start_parks()
    link = await dashboard_link(web)
    await run(fresh.get, link)
    await run(fresh.delete_all_cookies)
    await run(fresh.get, link)
    assert await run(text_of, fresh, "h1") == "Access refused"
    assert "already used" in await run(text_of, fresh, "main")
    await run(fresh.get, web.townhall.settings.web_url + "/c/1")
    assert await run(text_of, fresh, "h1") == "Access refused"
    logged = await run(errors, fresh)
    assert all("status of 403" in error for error in logged), logged  # the refusals themselves


async def test_a_facilitator_hides_an_idea_from_the_page_and_its_author_is_told(web, fresh):
    await web.start_parks()
    await web.say("/idea Buy my car at carsforsale.example", user="spammer")
    await run(fresh.get, await dashboard_link(web))
    await run(fresh.get, web.townhall.settings.web_url + "/c/1/moderation")

    def hide() -> None:
        fresh.find_element(By.ID, "reason-i1").send_keys("Advertising")
        fresh.find_element(By.CSS_SELECTOR, "#idea-i1 button").click()

    await run(hide)
    await wait_until(lambda: "Idea i1 is hidden." in text_of(fresh, "[role=status]"), timeout=5)
    assert "Advertising" in await run(text_of, fresh, "table")
    assert "Reason: Advertising" in await web.wait_for_text("Reason:")
    assert await run(errors, fresh) == []
