"""git, run as a subprocess: clones, commits and pushes in a checkout cody controls."""
