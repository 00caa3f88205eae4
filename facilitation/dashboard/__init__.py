"""The web dashboard's capability: who may open it (signed single-use links, sessions, form tokens) and
what its pages show (overview, themes, moderation, delivery health), as data; the HTTP wiring is bot/web."""
