"""Accountability: commitments, pods, check-ins, peer nudges and cheers."""
