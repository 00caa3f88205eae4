"""Exchange: offers and needs matched by meaning and connected by double opt-in, what was given, and
pledges of money or hours to prototypes, conditional on shared goals."""
