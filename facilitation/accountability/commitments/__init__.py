"""Commitments: /commit an action by a date, report /progress, mark it /done, list /mine.

Every open commitment gets a reminder to its owner shortly before its due day and a kind follow-up after it,
at a reasonable local hour (see facilitation.membership.preferences). Both are recorded with an idempotency key
before they go to the outbox, so restarts and replays never send one twice.

`due_dates` reads the day a member writes, `summary` is what every part of accountability reads about a
commitment, `prompts` times and sends the reminder and the follow-up, `commands` holds the chat commands.
"""
