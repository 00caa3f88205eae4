"""Hiding and unhiding from the dashboard follows the chat's rules and tells the author the same way;
every form needs the session's token."""

from __future__ import annotations

import re

import aiohttp

from storage.models import Idea
from tests.dashboard.conftest import dashboard_link

TOKEN = re.compile(r'name="csrf" value="([^"]+)"')


async def signed_in(web, client: aiohttp.ClientSession) -> tuple[str, str]:  # noqa: ANN001
    """Sign `client` in; the moderation page's address and its form token."""
    link = await dashboard_link(web)
    async with client.get(link) as answer:
        assert answer.status == 200
    page = link.split("/login/")[0] + "/c/1/moderation"
    async with client.get(page) as answer:
        return page, TOKEN.search(await answer.text()).group(1)


async def test_hide_and_unhide_from_the_page_as_in_chat(web):
    await web.start_parks()
    await web.say("/idea Benches by the pond", user="alice")
    await web.say("/idea Buy my car at carsforsale.example", user="spammer")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
        page, token = await signed_in(web, client)
        async with client.post(page, data={"csrf": token, "action": "hide", "idea": "i2", "reason": ""}) as answer:
            assert "Say why: the author is told." in await answer.text()
        hide = {"csrf": token, "action": "hide", "idea": "i2", "reason": "Advertising <b>only</b>"}
        async with client.post(page, data=hide) as answer:
            html = await answer.text()
        assert "Idea i2 is hidden." in html and "Advertising &lt;b&gt;only&lt;/b&gt;" in html
        assert "Reason: Advertising <b>only</b>" in await web.wait_for_text("Reason:")
        assert "carsforsale" not in await web.reply_text("/ideas")
        async with client.post(page, data=hide) as answer:
            assert "Idea i2 is already hidden." in await answer.text()
        async with client.post(page, data={"csrf": token, "action": "unhide", "idea": "i2"}) as answer:
            assert "Idea i2 is visible again." in await answer.text()
    assert "carsforsale" in await web.reply_text("/ideas")


async def test_a_form_without_the_sessions_token_changes_nothing(web):
    await web.start_parks()
    await web.say("/idea Benches by the pond", user="alice")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
        page, token = await signed_in(web, client)
        for forged in ("", token[:-2] + "xx"):
            data = {"csrf": forged, "action": "hide", "idea": "i1", "reason": "spam"}
            async with client.post(page, data=data) as answer:
                assert answer.status == 403 and "This form has expired" in await answer.text()
    async with aiohttp.ClientSession() as stranger:
        data = {"csrf": token, "action": "hide", "idea": "i1", "reason": "spam"}
        async with stranger.post(page, data=data) as answer:
            assert answer.status == 403
    assert [idea.status for idea in web.rows(Idea)] == ["open"]
