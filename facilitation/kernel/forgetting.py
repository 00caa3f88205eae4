"""What the kernel keeps of a member who is forgotten: messages to them or quoting them, buttons, delivery keys.

The capabilities erase their own tables (see `PersonalData`) and note the member's names and words in the
`Forgetting`; this module then clears the kernel's tables of them: messages addressed to the member go,
with their buttons (which may hold the member's unsent texts); in messages to others, the member's names
become `REDACTED` and every line quoting words that go is replaced by it; the delivery keys of their
private chats go too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from facilitation.kernel.hooks import Forgetting
from storage.models import ButtonAction, HandledUpdate, OutboxMessage

REDACTED = "[…]"
"""Stands, in messages already written, for a forgotten member's name or words: the same in every language."""

QUOTE_PREFIX_LENGTH = 32
"""Messages quote long texts shortened at their end (never under 40 characters): a line holding a text's
first 32 characters quotes it."""

SHORTEST_QUOTABLE = 4
"""Texts shorter than this (an idea "Yes") would match unrelated lines: they are not searched for."""

SCAN_BATCH = 500


def erase_kernel_traces(session: Session, forgetting: Forgetting) -> None:
    """Clear the outbox, the buttons and the delivery keys of the forgotten member (see the module)."""
    user_ids = {user_id for _platform, user_id in forgetting.accounts}
    names = _whole_words(forgetting.names | user_ids)
    quotes = quoting(forgetting)
    stale_tokens: list[str] = []
    gone: list[int] = []
    changed: list[dict] = []
    last_id = 0
    columns = (OutboxMessage.id, OutboxMessage.address, OutboxMessage.payload)
    while rows := session.exec(
        select(*columns)
        .where(col(OutboxMessage.id) > last_id)
        .order_by(col(OutboxMessage.id))
        .limit(SCAN_BATCH)
    ).all():
        last_id = rows[-1][0]
        for outbox_id, address, payload in rows:
            if _addressed_to(address, payload, user_ids):
                stale_tokens += [button["token"] for button in payload.get("buttons", ())]
                gone.append(outbox_id)
            elif (redacted := _redacted(payload, names, quotes, stale_tokens)) != payload:
                changed.append({"id": outbox_id, "payload": redacted})
        if changed:
            session.execute(update(OutboxMessage), changed)  # by primary key, in one executemany
            changed = []
    for batch in range(0, len(gone), SCAN_BATCH):
        session.exec(delete(OutboxMessage).where(col(OutboxMessage.id).in_(gone[batch : batch + SCAN_BATCH])))  # type: ignore[call-overload]
    for batch in range(0, len(stale_tokens), SCAN_BATCH):
        tokens = stale_tokens[batch : batch + SCAN_BATCH]
        session.exec(delete(ButtonAction).where(col(ButtonAction.token).in_(tokens)))  # type: ignore[call-overload]
    for platform, user_id in forgetting.accounts:
        session.exec(  # type: ignore[call-overload]
            delete(HandledUpdate).where(
                col(HandledUpdate.platform) == platform, col(HandledUpdate.chat_id) == user_id
            )
        )


def quoting(forgetting: Forgetting) -> Callable[[str], bool]:
    """Whether a text quotes, whole or shortened, one of the words the forgotten member takes away."""
    prefixes = {_normal(text)[:QUOTE_PREFIX_LENGTH] for text in forgetting.words}
    prefixes = {prefix for prefix in prefixes if len(prefix) >= SHORTEST_QUOTABLE}

    def quotes(text: str) -> bool:
        normal = _normal(text)
        return any(prefix in normal for prefix in prefixes)

    return quotes


def _addressed_to(address: dict, payload: dict, user_ids: set[str]) -> bool:
    """Sent to one of the member's accounts, in their private chat (its id is their user id on Telegram),
    or naming them with a mention."""
    return bool({address.get("user_id"), address.get("chat_id"), payload.get("mention")} & user_ids)


def _redacted(
    payload: dict, names: re.Pattern[str] | None, quotes: Callable[[str], bool], stale_tokens: list[str]
) -> dict:
    """The payload with quoting lines replaced and names redacted; buttons naming the member are dropped
    (their tokens added to `stale_tokens`)."""
    lines = [REDACTED if quotes(line) else line for line in payload["text"].split("\n")]
    text = "\n".join(lines)
    buttons = []
    for button in payload.get("buttons", ()):
        if names is not None and names.search(button["label"]):
            stale_tokens.append(button["token"])
        else:
            buttons.append(button)
    if names is not None:
        text = names.sub(REDACTED, text)
    return {**payload, "text": text, "buttons": buttons}


def _whole_words(words: Iterable[str]) -> re.Pattern[str] | None:
    """A case-insensitive pattern matching any of `words` as a whole word, or None for no words."""
    words = sorted({word for word in words if word}, key=len, reverse=True)
    if not words:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, words)) + r")(?!\w)", re.IGNORECASE)


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()
