"""Open data: a campaign released as a validated Frictionless Data Package, plus Polis-format files."""
