"""The one module that knows every capability: it lists their features for the core and for /help."""

from __future__ import annotations

from facilitation.accountability import commitments, pods
from facilitation.civic import goals, report
from facilitation.civic.opendata import export
from facilitation.intake import ideas, moderation
from facilitation.intelligence import themes
from facilitation.kernel import help, status
from facilitation.kernel.router import CommandSet
from facilitation.membership import campaigns, members, news, preferences, privacy
from facilitation.planning import feedback, prototypes, rounds, votes

FEATURES: tuple[CommandSet, ...] = (
    help.commands,
    campaigns.commands,
    ideas.commands,
    themes.commands,
    members.commands,
    goals.commands,
    export.commands,
    rounds.commands,
    votes.commands,
    prototypes.commands,
    feedback.commands,
    news.commands,
    moderation.commands,
    privacy.commands,
    status.commands,
    commitments.commands,
    pods.commands,
    preferences.commands,
    report.commands,
)
"""Every feature module's commands; /help lists them in this order."""
