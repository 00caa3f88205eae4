"""Membership: people, campaigns and roles, preferences, privacy, contributor news and chat notices."""
