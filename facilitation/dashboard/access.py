"""Who may open the dashboard: a signed link that works once within 10 minutes starts a session for a
facilitator, whose pages then show only the campaigns they facilitate. Forms carry a token bound to the
session (CSRF)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, col, select, update

from facilitation.kernel.context import CoreConfig
from facilitation.kernel.i18n import N_
from storage.dashboard import DASHBOARD_SECRET_ROW
from storage.db import insert_if_absent
from storage.models import (
    Campaign,
    CampaignFacilitator,
    DashboardLink,
    DashboardSecret,
    DashboardSession,
    Identity,
    Member,
)

LINK_LIFETIME = timedelta(minutes=10)
SESSION_LIFETIME = timedelta(hours=12)
LINK_ID_BYTES = 18
SESSION_TOKEN_BYTES = 32
SIGNATURE_LENGTH = 32
"""Characters of a link's signature kept: 192 bits of HMAC-SHA256."""
LOGIN_PATH = "/login/"


class AccessDenied(Exception):
    """The dashboard refuses: `reason` names what was wrong, as a catalogue msgid."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def web_secret(session: Session, config: CoreConfig) -> str:
    """The settings' secret, else the one stored in the database, made on first use by whichever
    process comes first (another one made at the same moment yields)."""
    if config.web_secret:
        return config.web_secret
    table = DashboardSecret.__table__  # type: ignore[attr-defined]
    insert_if_absent(
        session, table, id=DASHBOARD_SECRET_ROW, secret=secrets.token_hex(32), created_at=config.clock()
    )
    return session.get_one(DashboardSecret, DASHBOARD_SECRET_ROW).secret


def sign(secret: str, purpose: str, value: str) -> str:
    digest = hmac.new(secret.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:SIGNATURE_LENGTH]


def facilitates(session: Session, config: CoreConfig, member_id: int, campaign: Campaign) -> bool:
    """Whether the member facilitates the campaign: named in the settings, or its creator or appointee."""
    named = session.exec(
        select(CampaignFacilitator).where(
            CampaignFacilitator.member_id == member_id, CampaignFacilitator.campaign_id == campaign.id
        )
    ).first()
    if named is not None:
        return True
    accounts = session.exec(
        select(Identity.platform, Identity.platform_user_id).where(Identity.member_id == member_id)
    ).all()
    return any(tuple(account) in config.facilitator_identities for account in accounts)


def issue_link(session: Session, config: CoreConfig, member: Member, campaign: Campaign) -> str:
    """A signed URL that opens the campaign's dashboard once, within `LINK_LIFETIME`."""
    link_id = secrets.token_urlsafe(LINK_ID_BYTES)
    now = config.clock()
    session.add(
        DashboardLink(
            token=link_id,
            member_id=member.id,
            campaign_id=campaign.id,
            expires_at=now + LINK_LIFETIME,
            created_at=now,
        )
    )
    session.flush()
    signature = sign(web_secret(session, config), "link", link_id)
    return f"{config.web_url}{LOGIN_PATH}{link_id}.{signature}"


@dataclass(frozen=True)
class Opened:
    """A link redeemed: the new session's cookie value, and the campaign the link was for."""

    cookie: str
    campaign: Campaign


def redeem_link(session: Session, config: CoreConfig, signed: str) -> Opened:
    """Use a link once: a session for its facilitator, or `AccessDenied` (tampered, unknown, expired,
    used, or its member no longer facilitates the campaign)."""
    link_id, _dot, signature = signed.partition(".")
    if not hmac.compare_digest(
        signature.encode(), sign(web_secret(session, config), "link", link_id).encode()
    ):
        raise AccessDenied(N_("This link is not valid."))
    now = config.clock()
    used = session.execute(
        update(DashboardLink)
        .where(
            col(DashboardLink.token) == link_id,
            col(DashboardLink.used_at).is_(None),
            col(DashboardLink.expires_at) > now,
        )
        .values(used_at=now)
        .returning(col(DashboardLink.token))
    ).first()
    if used is None:  # two browsers opening the same link at once: one row update wins
        raise AccessDenied(
            N_("This link has expired or was already used. Ask for a new one with /dashboard.")
        )
    link = session.get_one(DashboardLink, link_id)
    campaign = session.get_one(Campaign, link.campaign_id)
    if not facilitates(session, config, link.member_id, campaign):
        raise AccessDenied(N_("Only the campaign's facilitators can open its dashboard."))
    cookie = secrets.token_urlsafe(SESSION_TOKEN_BYTES)
    session.add(
        DashboardSession(
            token_hash=_hashed(cookie),
            member_id=link.member_id,
            expires_at=now + SESSION_LIFETIME,
            created_at=now,
        )
    )
    return Opened(cookie, campaign)


def signed_in_member(session: Session, config: CoreConfig, cookie: str | None) -> Member | None:
    """The facilitator whose live session the cookie names, else None."""
    if not cookie:
        return None
    row = session.get(DashboardSession, _hashed(cookie))
    if row is None or row.expires_at <= config.clock():
        return None
    return session.get(Member, row.member_id)


def form_token(secret: str, cookie: str) -> str:
    """The token every form of a session carries: only a page of that session knows it."""
    return sign(secret, "form", cookie)


def valid_form_token(secret: str, cookie: str, token: str) -> bool:
    return hmac.compare_digest(token.encode(), form_token(secret, cookie).encode())


def _hashed(cookie: str) -> str:
    return hashlib.sha256(cookie.encode()).hexdigest()
