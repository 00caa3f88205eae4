"""Pods: small groups of peers who check in on each other's commitments, and the prompts they receive.

`/pods form [size]` (facilitators) groups members with open commitments, favouring people who share a theme or
prototype, avoiding pairs who met in earlier rotations, and keeping time zones close. Each member then gets
a check-in at the pod's cadence at a reasonable local hour; an answer reaches their peers as a peer-review
nudge. An unanswered check-in gets one gentle reminder; repeated misses lower the cadence and the pod is
told kindly. Every prompt is recorded with an idempotency key (`Effects.record_prompt`) before it goes to
the outbox, and every job is derived from stored state, so restarts and a second process neither lose
nor double one.

`grouping` is the pure maths of who goes with whom; `forming` builds pods from stored state and introduces
them; `checkins` sends, reminds, records answers, nudges the peers and slows down after misses; `cheers`
holds what peers send back and the kind word about a quiet peer; `rotation` forms the next pods on a
schedule; `jobs` names every scheduled job and rebuilds them from stored state; `commands` holds /pods
and /checkin.
"""
