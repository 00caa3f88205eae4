"""The one module that knows every capability: it lists their features for the core and for /help."""

from __future__ import annotations

from facilitation.accountability import personal_data as accountability_data
from facilitation.accountability.commitments import commands as commitment_commands
from facilitation.accountability.commitments import prompts as commitment_prompts
from facilitation.accountability.pods import checkins, cheers, forming, rotation
from facilitation.accountability.pods import commands as pod_commands
from facilitation.accountability.pods import jobs as pod_jobs
from facilitation.civic import goals, report_chat
from facilitation.civic import personal_data as civic_data
from facilitation.civic.opendata import export
from facilitation.dashboard import commands as dashboard_commands
from facilitation.dashboard import public
from facilitation.exchange import budgets, giving, matching, organisations, pledges, pools, post_lists, posts
from facilitation.exchange import opendata as exchange_open_data  # noqa: F401 (declares its open-data tables)
from facilitation.exchange import personal_data as exchange_data
from facilitation.intake import close_ideas, edits, listing, moderation, recording
from facilitation.intake import personal_data as intake_data
from facilitation.intelligence import campaign_language, themes_command
from facilitation.intelligence import personal_data as intelligence_data
from facilitation.kernel import help, status
from facilitation.kernel.router import CommandSet
from facilitation.membership import campaigns, members, news, notices, preferences, privacy
from facilitation.planning import feedback, group_store, opinions, prototypes, rounds, votes
from facilitation.planning import personal_data as planning_data

FEATURES: tuple[CommandSet, ...] = (
    help.commands,
    campaigns.commands,
    recording.commands,
    edits.commands,
    listing.commands,
    close_ideas.commands,
    themes_command.commands,
    campaign_language.commands,
    members.commands,
    goals.commands,
    export.commands,
    rounds.commands,
    votes.commands,
    opinions.commands,
    group_store.commands,
    prototypes.commands,
    feedback.commands,
    news.commands,
    moderation.commands,
    privacy.commands,
    status.commands,
    dashboard_commands.commands,
    public.commands,
    commitment_commands.commands,
    commitment_prompts.commands,
    pod_commands.commands,
    forming.commands,
    checkins.commands,
    cheers.commands,
    rotation.commands,
    pod_jobs.commands,
    preferences.commands,
    posts.commands,
    post_lists.commands,
    matching.commands,
    giving.commands,
    pledges.commands,
    budgets.commands,
    organisations.commands,
    pools.commands,
    report_chat.commands,
    notices.commands,
    intake_data.commands,
    planning_data.commands,
    intelligence_data.commands,
    accountability_data.commands,
    civic_data.commands,
    exchange_data.commands,
)
"""Every feature module's commands; /help lists them in this order, /me what each holds about its reader
(the profile first, from privacy) and /forget erases it in the same order: themes after the ideas."""
