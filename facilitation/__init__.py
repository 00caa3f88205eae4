"""The platform-neutral core: campaigns, ideas, members, the outbox. Never imports a platform library."""
