"""Intelligence: sentence embeddings, close ideas, themes (clustering, storing, digest, map)."""
