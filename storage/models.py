"""Every table, re-exported from the module of the capability that owns it: Alembic and callers read here.

Layers, lowest first: kernel < membership < intake < intelligence < planning < accountability < civic. A
table's foreign keys name tables of its own module or of one below. Intake sits lower here than among
facilitation's capabilities: embeddings, themes, votes and prototypes refer to ideas, while the code that
records an idea calls on similarity and rounds. Every change to a table needs a migration.
"""

from storage.accountability import (
    COMMITMENT_ACTION_MAX_LENGTH,
    CheckIn,
    Cheer,
    Commitment,
    Pod,
    PodMember,
    PodSchedule,
)
from storage.civic import GOAL_NAME_MAX_LENGTH, UNIT_MAX_LENGTH, Goal, GoalMeasurement, GoalRecorder
from storage.intake import (
    IDEA_HIDDEN,
    IDEA_OUT_OF_SIGHT,
    IDEA_WITHDRAWN,
    Idea,
    IdeaSupport,
    Round,
    visible_ideas,
)
from storage.intelligence import THEME_LABEL_MAX_LENGTH, IdeaEmbedding, IdeaTheme, Theme, ThemesFingerprint
from storage.kernel import (
    SCHEDULER_JOBS_TABLE,
    TITLE_MAX_LENGTH,
    ButtonAction,
    HandledUpdate,
    OutboxMessage,
    UTCDateTime,
    scheduler_jobs,
    utcnow,
)
from storage.membership import (
    HASHTAG_MAX_LENGTH,
    Campaign,
    CampaignFacilitator,
    ChatBinding,
    ChatNotice,
    ContributorNotice,
    ForgottenAccount,
    Identity,
    Member,
    Membership,
    SentPrompt,
)
from storage.planning import (
    Feedback,
    IdeaVote,
    OpinionGroupState,
    Prototype,
    PrototypeMember,
    PrototypeVersion,
)

__all__ = [
    "ButtonAction",
    "HandledUpdate",
    "COMMITMENT_ACTION_MAX_LENGTH",
    "Campaign",
    "CampaignFacilitator",
    "ChatBinding",
    "ChatNotice",
    "CheckIn",
    "Cheer",
    "Commitment",
    "ContributorNotice",
    "Feedback",
    "GOAL_NAME_MAX_LENGTH",
    "Goal",
    "GoalMeasurement",
    "GoalRecorder",
    "HASHTAG_MAX_LENGTH",
    "IDEA_HIDDEN",
    "IDEA_OUT_OF_SIGHT",
    "IDEA_WITHDRAWN",
    "Idea",
    "IdeaEmbedding",
    "IdeaSupport",
    "IdeaTheme",
    "IdeaVote",
    "ForgottenAccount",
    "Identity",
    "Member",
    "Membership",
    "OpinionGroupState",
    "OutboxMessage",
    "Pod",
    "PodMember",
    "PodSchedule",
    "Prototype",
    "PrototypeMember",
    "PrototypeVersion",
    "Round",
    "SCHEDULER_JOBS_TABLE",
    "SentPrompt",
    "THEME_LABEL_MAX_LENGTH",
    "TITLE_MAX_LENGTH",
    "Theme",
    "ThemesFingerprint",
    "UNIT_MAX_LENGTH",
    "UTCDateTime",
    "scheduler_jobs",
    "utcnow",
    "visible_ideas",
]
