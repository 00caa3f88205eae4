"""Planning: brainstorm rounds, votes, prototypes and their feedback."""
