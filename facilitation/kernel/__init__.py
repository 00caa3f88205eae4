"""The kernel: events, router, context, outbox, scheduling and the core's dispatch. It names no capability."""
