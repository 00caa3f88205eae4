"""Tables, engine, sessions and migrations. The only package that talks SQL."""
