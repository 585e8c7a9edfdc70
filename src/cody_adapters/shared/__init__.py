"""Helpers every adapter may use: scrubbed environments, atomic files, artifact keys, clock."""
