"""Who may open the dashboard: a facilitator's link works once within 10 minutes and signs them in for
their own campaigns; everyone and everything else gets a plain 403 page."""

from __future__ import annotations

import aiohttp
from sqlmodel import select

from bot.testing.harness import FACILITATOR
from facilitation.dashboard.access import issue_link
from facilitation.kernel.events import PlatformUser
from storage.models import Campaign, DashboardLink, DashboardSession, Identity, Member
from tests.dashboard.conftest import dashboard_link


async def open_link(link: str, **headers: str) -> tuple[aiohttp.ClientResponse, str, aiohttp.CookieJar]:
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as client, client.get(link, headers=headers) as answer:
        return answer, await answer.text(), jar


async def test_a_facilitators_link_opens_the_overview_once_and_sets_a_strict_cookie(web):
    await web.start_parks()
    await web.say("/join #parks", user="alice")
    await web.say("/idea Benches by the pond", user="alice")
    answers = await web.say("/dashboard #parks", user=FACILITATOR)
    assert [sent.message.private for sent in answers] == [True]
    assert "works once, within 10 minutes" in answers[0].text
    link = await dashboard_link(web)

    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
        async with client.get(link, allow_redirects=False) as answer:
            assert answer.status == 303
            cookie = answer.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
        async with client.get(link.split("/login/")[0] + answer.headers["Location"]) as page:
            html = await page.text()
        assert page.status == 200 and '<html lang="en">' in html
        assert 'data-count="ideas">1<' in html and 'data-count="members">1<' in html
        assert "Benches by the pond" in html and "Ideas (1)" in html  # the activity chart's legend

    reused, text, _jar = await open_link(link)
    assert reused.status == 403 and "already used" in text


async def test_behind_an_https_proxy_the_cookie_is_secure(web):
    await web.start_parks()
    async with (
        aiohttp.ClientSession() as client,
        client.get(
            await dashboard_link(web), headers={"X-Forwarded-Proto": "https"}, allow_redirects=False
        ) as answer,
    ):
        assert "Secure" in answer.headers["Set-Cookie"]


async def test_an_expired_or_tampered_link_is_refused(web, clock):
    await web.start_parks()
    link = await dashboard_link(web)
    tampered = link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb")
    answer, text, _jar = await open_link(tampered)
    assert answer.status == 403 and "not valid" in text
    clock.advance(minutes=11)
    answer, text, _jar = await open_link(link)
    assert answer.status == 403 and "expired" in text
    assert web.rows(DashboardSession) == []


async def test_a_resident_gets_no_link_and_a_link_no_longer_theirs_is_refused(web):
    await web.start_parks()
    assert "Only facilitators" in await web.reply_text("/dashboard #parks", user="alice")
    assert web.rows(DashboardLink) == []
    with web.townhall.database.session() as session:  # a link made for a resident, as a forger would
        [alice] = [row for row in session.exec(select(Identity)) if row.platform_user_id == "alice"]
        resident = session.get_one(Member, alice.member_id)
        link = issue_link(session, web.townhall.core.config, resident, session.get_one(Campaign, 1))
    answer, text, _jar = await open_link(link)
    assert answer.status == 403 and "facilitators can open its dashboard" in text


async def test_a_facilitator_of_one_campaign_cannot_open_another(web):
    await web.start_parks()
    await web.say("/campaign #gardens Shared gardens | Where to grow food?", user=FACILITATOR)
    await web.say("/join #gardens", user="carol")
    await web.say("/facilitator @carol #gardens", user=FACILITATOR, mentions=(PlatformUser("carol", "Carol"),))
    link = await dashboard_link(web, "#gardens", user="carol")
    [parks] = [row.campaign_id for row in web.rows(DashboardLink)]
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as client:
        async with client.get(link) as own:
            assert own.status == 200 and "#gardens" in await own.text()
        base = link.split("/login/")[0]
        for path in ("/c/1", "/c/1/live.json", "/c/999", "/c/nothing"):
            async with client.get(base + path) as other:
                text = await other.text()
                assert (
                    other.status == 403 and "You do not facilitate" in text and "Better parks" not in text
                ), path
    assert parks != 1


async def test_without_a_session_every_page_is_refused(web):
    await web.start_parks()
    base = web.townhall.settings.web_url
    async with aiohttp.ClientSession() as client:
        for path in ("/", "/c/1", "/c/1/live.json"):
            async with client.get(base + path) as answer:
                assert answer.status == 403 and "/dashboard" in await answer.text(), path
        async with client.get(base + "/c/1?" + "x" * 5000) as answer:
            assert answer.status == 414


async def test_ideas_written_as_html_are_shown_as_text(web):
    await web.start_parks()
    await web.say("/idea <script>alert('x')</script> <b>benches</b>", user="alice")
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as client, client.get(await dashboard_link(web)) as page:
        html = await page.text()
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html


async def test_the_dashboard_is_named_in_french_for_a_french_facilitator(web):
    await web.start_parks()
    await web.say("/lang fr", user=FACILITATOR)
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as client, client.get(await dashboard_link(web)) as page:
        html = await page.text()
    assert '<html lang="fr">' in html and "Membres" in html and "Aperçu" in html


async def test_with_the_dashboard_off_the_command_says_so(harness):
    await harness.start_parks()
    assert "dashboard is off" in await harness.reply_text("/dashboard #parks", user=FACILITATOR)
