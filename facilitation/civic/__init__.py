"""Civic: shared goals, collective progress, the citizen report and open data."""
