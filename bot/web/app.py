"""The dashboard's HTTP side: routes, the session cookie, CSRF checks and the refusals; the data comes
from facilitation.dashboard, read off the event loop."""

from __future__ import annotations

import asyncio
import dataclasses
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import web
from sqlmodel import Session

from adapters.console import ConsoleAdapter
from adapters.console.adapter import LOCAL_USER_ID
from bot.web.pages import STATIC, denied, not_public, page
from bot.web.views import VIEWS, View
from facilitation.civic.opendata.export import export_archive
from facilitation.civic.report import render_report
from facilitation.dashboard.access import (
    LOGIN_PATH,
    SESSION_LIFETIME,
    AccessDenied,
    facilitates,
    form_token,
    redeem_link,
    signed_in_member,
    valid_form_token,
    web_secret,
)
from facilitation.dashboard.charts import daily_chart
from facilitation.dashboard.moderation import MODERATION_ACTIONS, as_facilitator, moderate, moderation_lists
from facilitation.dashboard.overview import overview
from facilitation.dashboard.public import PUBLIC_PATH, public_campaign, visitor_language
from facilitation.dashboard.themes import MAP_HEIGHT, MAP_WIDTH, themes_view
from facilitation.kernel.context import CoreConfig
from facilitation.kernel.core import Core
from facilitation.kernel.i18n import N_
from facilitation.kernel.router import UserError
from facilitation.kernel.scheduling import JobSpec, Scheduler
from facilitation.kernel.status import delivery_health
from storage.models import Campaign, Member

T = TypeVar("T")

COOKIE = "townhall_dashboard"
MAX_QUERY_LENGTH = 2048
"""A longer query string is refused before anything reads it."""
CORE_KEY: web.AppKey[Core] = web.AppKey("core", Core)

NOT_SIGNED_IN = N_(
    "Open the dashboard with the link /dashboard sends you in chat; it works once, for 10 minutes."
)
NOT_YOURS = N_("You do not facilitate this campaign, or it does not exist.")
NO_STORE = {"Cache-Control": "no-store"}
BAD_FORM = N_("This form has expired. Reload the page and try again.")


def dashboard_config(config: CoreConfig) -> CoreConfig:
    """The core's settings as the dashboard reads them: the operator at the machine (`townhall
    dashboard-link`, the console's local user) facilitates every campaign."""
    return dataclasses.replace(
        config,
        facilitator_identities=config.facilitator_identities | {(ConsoleAdapter.platform, LOCAL_USER_ID)},
    )


class Dashboard:
    """Handlers for one running core: reads on a thread of their own, changes in turn on the core's worker."""

    def __init__(self, core: Core, scheduler: Scheduler | None = None) -> None:
        self.core = core
        self.scheduler = scheduler
        self.config = dashboard_config(core.config)

    def _peek_now(self, work: Callable[[Session], T]) -> T:
        with Session(self.core.database.engine) as session:
            return work(session)

    async def peek(self, work: Callable[[Session], T]) -> T:
        """As `read`, in a session that is never committed: what `work` changes is forgotten."""
        return await asyncio.to_thread(self._peek_now, work)

    async def peek_in_worker(self, work: Callable[[Session], T]) -> T:
        """As `peek`, on the core's worker in turn with the updates: for reads that use the language model."""
        return await self.core.in_worker(self._peek_now, work)

    async def read(self, work: Callable[..., T], *args: Any) -> T:
        def in_session() -> T:
            with self.core.database.session() as session:
                return work(session, *args)

        return await asyncio.to_thread(in_session)

    def application(self) -> web.Application:
        app = web.Application(middlewares=[self._bounded], client_max_size=64 * 1024)
        app.add_routes(
            [
                web.get("/", self.index),
                web.get(LOGIN_PATH + "{token}", self.login),
                web.get("/c/{campaign}", self.overview_page),
                web.get("/c/{campaign}/live.json", self.live),
                web.get("/c/{campaign}/themes", self.themes_page),
                web.get("/c/{campaign}/moderation", self.moderation_page),
                web.get("/c/{campaign}/health", self.health_page),
                web.get("/c/{campaign}/downloads", self.downloads_page),
                web.get("/c/{campaign}/opendata.zip", self.open_data),
                web.get("/c/{campaign}/report.html", self.report),
                web.post("/c/{campaign}/moderation", self.moderate),
                *(
                    web.get(f"/c/{{campaign}}/{name}", self.view_page(name, view))
                    for name, view in VIEWS.items()
                ),
                web.get(PUBLIC_PATH + "{hashtag}", self.public_page),
                web.get(PUBLIC_PATH + "{hashtag}/opendata.zip", self.public_open_data),
                web.static("/static", STATIC),
            ]
        )
        return app

    @web.middleware
    async def _bounded(self, request: web.Request, handler: Callable[..., Any]) -> web.StreamResponse:
        if len(request.query_string) > MAX_QUERY_LENGTH:
            return web.Response(status=414, text="Query string too long")
        return await handler(request)

    async def index(self, request: web.Request) -> web.StreamResponse:
        member = await self.read(self._member, request.cookies.get(COOKIE))
        if member is None:
            return denied(self.config.default_language, NOT_SIGNED_IN)
        return denied(member.language, NOT_YOURS)

    async def login(self, request: web.Request) -> web.StreamResponse:
        try:
            opened = await self.read(
                lambda session: redeem_link(session, self.config, request.match_info["token"])
            )
        except AccessDenied as refusal:
            return denied(self.config.default_language, refusal.reason)
        response = web.HTTPSeeOther(f"/c/{opened.campaign.id}")
        response.set_cookie(
            COOKIE,
            opened.cookie,
            max_age=int(SESSION_LIFETIME.total_seconds()),
            path="/",
            httponly=True,
            samesite="Lax",
            secure=is_https(request),
        )
        raise response

    def _member(self, session: Session, cookie: str | None) -> Member | None:
        return signed_in_member(session, self.config, cookie)

    def _campaign_for(
        self, session: Session, cookie: str | None, campaign: str
    ) -> tuple[Member | None, Campaign | None]:
        """The signed-in facilitator and the campaign, if they facilitate it."""
        member = self._member(session, cookie)
        if member is None or not campaign.isdigit():
            return member, None
        found = session.get(Campaign, int(campaign))
        if found is None or not facilitates(session, self.config, member.id, found):  # type: ignore[arg-type]
            return member, None
        return member, found

    async def guarded(
        self,
        request: web.Request,
        work: Callable[[Session, Member, Campaign], T],
        run: Callable[[Callable[[Session], T | web.Response]], Awaitable[T | web.Response]] | None = None,
    ) -> T | web.Response:
        """`work` for the signed-in facilitator of the campaign in the path, else the refusal page; in a
        session `run` gives (by default one committed at the end, see `read`)."""

        def checked(session: Session) -> T | web.Response:
            member, campaign = self._campaign_for(
                session, request.cookies.get(COOKIE), request.match_info["campaign"]
            )
            if member is None:
                return denied(self.config.default_language, NOT_SIGNED_IN)
            if campaign is None:
                return denied(member.language, NOT_YOURS)
            return work(session, member, campaign)

        return await (run or self.read)(checked)

    def campaign_page(
        self, template: str, session: Session, member: Member, campaign: Campaign, current: str, **values: Any
    ) -> web.Response:
        return page(
            template,
            member.language,
            hashtag=campaign.hashtag,
            title=campaign.title,
            campaign_id=campaign.id,
            current=current,
            **values,
        )

    def form_token_for(self, session: Session, cookie: str) -> str:
        return form_token(web_secret(session, self.config), cookie)

    def form_is_valid(self, session: Session, request: web.Request, submitted: str) -> bool:
        cookie = request.cookies.get(COOKIE, "")
        return bool(cookie) and valid_form_token(web_secret(session, self.config), cookie, submitted)

    async def overview_page(self, request: web.Request) -> web.StreamResponse:
        def render(session: Session, member: Member, campaign: Campaign) -> web.Response:
            found = overview(session, campaign, self.config.clock())
            chart = daily_chart([day.strftime("%d/%m") for day in found.days], found.per_day)
            countdown = _clock(found.open_round.seconds_left) if found.open_round else ""
            return self.campaign_page(
                "overview.html",
                session,
                member,
                campaign,
                "overview",
                overview=found,
                chart=chart,
                countdown=countdown,
            )

        return await self.guarded(request, render)

    async def live(self, request: web.Request) -> web.StreamResponse:
        def answer(session: Session, member: Member, campaign: Campaign) -> web.Response:
            found = overview(session, campaign, self.config.clock(), chart=False)
            return web.json_response(
                {
                    "counts": found.counts,
                    "latest": [dataclasses.asdict(line) for line in found.latest],
                    "seconds_left": found.open_round.seconds_left if found.open_round else None,
                },
                headers=NO_STORE,
            )

        return await self.guarded(request, answer)

    async def themes_page(self, request: web.Request) -> web.StreamResponse:
        def render(session: Session, member: Member, campaign: Campaign) -> web.Response:
            return self.campaign_page(
                "themes.html",
                session,
                member,
                campaign,
                "themes",
                view=themes_view(session, campaign),
                width=MAP_WIDTH,
                height=MAP_HEIGHT,
            )

        return await self.guarded(request, render, self.peek)

    def view_page(self, name: str, view: View) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        """The handler of a page that only reads: nothing it does is committed."""

        def render(session: Session, member: Member, campaign: Campaign) -> web.Response:
            values = view.build(self.core, session, member, campaign)
            return self.campaign_page(view.template, session, member, campaign, name, **values)

        async def handler(request: web.Request) -> web.StreamResponse:
            return await self.guarded(request, render, self.peek_in_worker if view.uses_model else self.peek)

        return handler

    async def public_page(self, request: web.Request) -> web.StreamResponse:
        def render(session: Session) -> web.Response:
            found = public_campaign(session, request.match_info["hashtag"], self._visitor_language(request))
            if found is None:
                return not_public(self.config.default_language)
            return page("public.html", found.language, page=found, width=MAP_WIDTH, height=MAP_HEIGHT)

        return await self.read(render)

    def _visitor_language(self, request: web.Request) -> Callable[[Campaign], str]:
        accepted = request.headers.get("Accept-Language", "")
        return lambda campaign: visitor_language(accepted, campaign, self.config.default_language)

    async def public_open_data(self, request: web.Request) -> web.StreamResponse:
        def package(session: Session) -> Any:
            found = public_campaign(session, request.match_info["hashtag"], self._visitor_language(request))
            if found is None:
                return not_public(self.config.default_language)
            return export_archive(session, found.campaign, self.config)

        found = await self.read(package)
        if isinstance(found, web.Response):
            return found
        return web.FileResponse(found, headers={"Content-Disposition": attachment(found.name), **NO_STORE})

    async def health_page(self, request: web.Request) -> web.StreamResponse:
        return await self.guarded(
            request,
            lambda session, member, campaign: self.campaign_page(
                "health.html",
                session,
                member,
                campaign,
                "health",
                health=delivery_health(session),
                leading=None if self.scheduler is None else self.scheduler.leading,
            ),
        )

    async def downloads_page(self, request: web.Request) -> web.StreamResponse:
        return await self.guarded(
            request,
            lambda session, member, campaign: self.campaign_page(
                "downloads.html", session, member, campaign, "downloads"
            ),
        )

    async def open_data(self, request: web.Request) -> web.StreamResponse:
        found = await self.guarded(
            request, lambda session, member, campaign: export_archive(session, campaign, self.config)
        )
        if isinstance(found, web.Response):
            return found
        return web.FileResponse(found, headers={"Content-Disposition": attachment(found.name), **NO_STORE})

    async def report(self, request: web.Request) -> web.StreamResponse:
        def render(session: Session, member: Member, campaign: Campaign) -> web.Response:
            html = render_report(
                session, campaign, self.config.open_data_license, member.language, self.config.clock()
            )
            name = f"{campaign.hashtag}-report-{member.language}.html"
            return web.Response(
                text=html,
                content_type="text/html",
                headers={"Content-Disposition": attachment(name), **NO_STORE},
            )

        return await self.guarded(request, render)

    def _moderation(
        self, request: web.Request, session: Session, member: Member, campaign: Campaign, **outcome: Any
    ) -> web.Response:
        hidden, visible = moderation_lists(session, campaign)
        return self.campaign_page(
            "moderation.html",
            session,
            member,
            campaign,
            "moderation",
            hidden=hidden,
            visible=visible,
            csrf=self.form_token_for(session, request.cookies.get(COOKIE, "")),
            notice=outcome.get("notice", ""),
            done=outcome.get("done", False),
        )

    async def moderation_page(self, request: web.Request) -> web.StreamResponse:
        return await self.guarded(request, lambda *found: self._moderation(request, *found))

    async def moderate(self, request: web.Request) -> web.StreamResponse:
        """Hide or unhide as in chat; the facilitator reads the chat's answer on the page."""
        form = await request.post()
        action, ref = str(form.get("action", "")), str(form.get("idea", "")).strip()
        checked = await self.guarded(
            request,
            lambda session, member, campaign: (
                member
                if self.form_is_valid(session, request, str(form.get("csrf", "")))
                else denied(member.language, BAD_FORM)
            ),
        )
        if isinstance(checked, web.Response):
            return checked
        if action not in MODERATION_ACTIONS:
            return web.Response(status=400, text="Unknown action")
        notice, done, scheduled = await self.core.in_worker(
            self._moderate_now, checked.id, action, ref, str(form.get("reason", ""))
        )
        for callback in self.core.after_commit:  # the author's word goes out as after any update
            callback(scheduled)
        return await self.guarded(
            request, lambda *found: self._moderation(request, *found, notice=notice, done=done)
        )

    def _moderate_now(
        self, member_id: int, action: str, ref: str, reason: str
    ) -> tuple[str, bool, list[JobSpec]]:
        with self.core.database.session() as session:
            incoming = as_facilitator(session, member_id)
            assert incoming is not None  # a session's member has an account: links are made for one
            ctx = self.core.context_for(session, incoming)
            try:
                answer = moderate(ctx, action, ref, reason)
            except UserError as error:
                session.rollback()
                return error.message, False, []
            self.core.enqueue(ctx)
        for callback in ctx.on_commit:
            callback()
        return answer, True, ctx.scheduled


def attachment(name: str) -> str:
    """A download's header; the name may hold any letter a hashtag may (RFC 6266)."""
    return f"attachment; filename*=UTF-8''{urllib.parse.quote(name)}"


def is_https(request: web.Request) -> bool:
    """Served over HTTPS, directly or by the TLS proxy in front (X-Forwarded-Proto)."""
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return request.secure or forwarded == "https"


def _clock(seconds: int) -> str:
    days, rest = divmod(max(seconds, 0), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"{hours:02d}:{minutes:02d}:{seconds:02d}"
    return f"{days} d {text}" if days else text
