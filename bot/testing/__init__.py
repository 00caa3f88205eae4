"""Townhall's test kit, shipped in the package as opsdroid and errbot ship theirs.

`harness` drives the real wiring through the recording adapter like a chat; `fake_telegram` and
`fake_discord` are Telegram Bot API and Discord servers on 127.0.0.1 for the real platform libraries,
answering from the recorded payloads in `fixtures/`. Used by the tests, `benchmarks/` and feature work.
"""
