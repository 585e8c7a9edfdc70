"""One thin adapter per outside system."""
