"""Intake: recording ideas, close ideas at posting, edits, listings, moderation and import."""
