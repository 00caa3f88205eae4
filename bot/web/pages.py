"""Rendering the dashboard's pages: Jinja2 templates, autoescaped, in the reader's language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from facilitation.kernel.i18n import N_, Translator

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
SECURITY_HEADERS = {
    # Everything the pages need is served by Townhall itself: no inline script, no other origin.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

NOT_PUBLIC = N_("This campaign has no public page.")

environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def page(template: str, language: str, status: int = 200, **values: Any) -> web.Response:
    translator = Translator(language)
    html = environment.get_template(template).render(
        lang=translator.language, _=translator.gettext, ngettext=translator.ngettext, **values
    )
    return web.Response(text=html, status=status, content_type="text/html", headers=SECURITY_HEADERS)


def denied(language: str, reason: str) -> web.Response:
    """The plain page every refusal gets: 403 and why, in words."""
    return page("denied.html", language, status=403, reason=reason)


def not_public(language: str) -> web.Response:
    """A campaign that does not exist, is closed, or whose public page is off: the same 404 for all."""
    return page("missing.html", language, status=404, reason=NOT_PUBLIC)
