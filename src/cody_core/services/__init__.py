"""Use cases: creating, running and inspecting jobs."""
