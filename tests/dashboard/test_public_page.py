"""A campaign's public page: off until a facilitator turns it on; the campaign's words without anyone's
pseudonym, member list or moderation."""

from __future__ import annotations

import re

import aiohttp

from bot.testing.harness import FACILITATOR
from storage.models import Member


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as client, client.get(url) as answer:
        return answer.status, (await answer.read()).decode(errors="replace")


async def test_the_public_page_shows_once_turned_on_and_never_a_pseudonym(web):
    await web.start_parks()
    await web.say("/join #parks", user="alice")
    await web.say("/idea Benches by the <pond>", user="alice")
    await web.say("/hide i1 Test of moderation", user=FACILITATOR)
    await web.say("/idea Shade trees on the playground", user="alice")
    await web.say("/goal trees 50 trees", user=FACILITATOR)
    await web.say("/goal trees 12", user=FACILITATOR)
    url = web.townhall.settings.web_url + "/p/parks"
    assert (await get(url))[0] == 404
    assert "Only facilitators" in await web.reply_text("/public on #parks", user="alice")
    assert url in await web.reply_text("/public on #parks", user=FACILITATOR)

    status, html = await get(url)
    assert status == 200 and "How can we make our parks welcoming?" in html and "/join #parks" in html
    assert "trees: 12 / 50 trees" in html and "<svg" in html
    pseudonyms = [member.pseudonym for member in web.rows(Member)]
    assert not any(name in html for name in pseudonyms)
    assert "Test of moderation" not in html and "pond" not in html
    status, _zip = await get(url + "/opendata.zip")
    assert status == 200

    assert "is off" in await web.reply_text("/public off #parks", user=FACILITATOR)
    assert (await get(url))[0] == 404
    assert (await get(url + "/opendata.zip"))[0] == 404
    assert (await get(web.townhall.settings.web_url + "/p/nothing"))[0] == 404


async def test_the_public_page_speaks_the_visitors_language_else_the_campaigns(web):
    await web.start_parks()
    await web.say("/goal trees 50 trees", user=FACILITATOR)
    await web.say("/public on #parks", user=FACILITATOR)
    url = web.townhall.settings.web_url + "/p/parks"

    async def heading(accept: str | None) -> tuple[str, str]:
        headers = {"Accept-Language": accept} if accept is not None else {}
        async with aiohttp.ClientSession() as client, client.get(url, headers=headers) as answer:
            html = await answer.text()
        return re.search(r'<html lang="(\w+)">', html).group(1), re.search(
            r'<h2 id="goals-heading">([^<]+)', html
        ).group(1)

    assert await heading("fr-CA,fr;q=0.9,en;q=0.8") == ("fr", "Objectifs partagés")
    assert await heading("de-DE,en;q=0.5,fr;q=0.7") == ("fr", "Objectifs partagés")
    assert await heading("en-GB,en;q=0.9,fr;q=0.1") == ("en", "Shared goals")
    assert await heading("de, *;q=0.5") == ("en", "Shared goals")  # the campaign's language, English here
    assert await heading(None) == ("en", "Shared goals")
    await web.say("/campaign #parks language fr", user=FACILITATOR)
    assert await heading("de") == ("fr", "Objectifs partagés")
    assert await heading("en;q=0.2") == ("en", "Shared goals")
    assert await heading("en;q=0, fr;q=bad") == ("fr", "Objectifs partagés")
