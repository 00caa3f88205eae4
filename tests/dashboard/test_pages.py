"""The dashboard's other pages: delivery health as /status tells it, and the downloads."""

from __future__ import annotations

import io
import zipfile

import aiohttp

from tests.dashboard.conftest import dashboard_link


async def signed_in_client(web) -> tuple[aiohttp.ClientSession, str]:  # noqa: ANN001
    client = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    link = await dashboard_link(web)
    async with client.get(link) as answer:
        assert answer.status == 200
    return client, link.split("/login/")[0] + "/c/1"


async def test_delivery_health_shows_what_status_counts(web):
    await web.start_parks()
    await web.say("/idea Benches by the pond", user="alice")
    client, base = await signed_in_client(web)
    async with client, client.get(base + "/health") as answer:
        html = await answer.text()
    assert answer.status == 200 and "Delivered" in html and "1 open campaign" in html and "1 idea" in html
    assert "No message failed." in html and "This process leads" in html


async def test_downloads_give_the_open_data_package_and_the_citizen_report(web):
    await web.start_parks()
    await web.say("/idea Benches by the pond", user="alice")
    client, base = await signed_in_client(web)
    async with client:
        async with client.get(base + "/downloads") as answer:
            assert "opendata.zip" in await answer.text()
        async with client.get(base + "/opendata.zip") as answer:
            assert answer.headers["Content-Disposition"].startswith("attachment;")
            package = zipfile.ZipFile(io.BytesIO(await answer.read()))
        assert "Benches by the pond" in package.read("ideas.csv").decode()
        async with client.get(base + "/report.html") as answer:
            assert answer.status == 200 and "Better parks" in await answer.text()
    async with aiohttp.ClientSession() as stranger, stranger.get(base + "/opendata.zip") as answer:
        assert answer.status == 403
