"""GitHub over PyGithub: pull requests, their lifecycle, and repository listings."""
