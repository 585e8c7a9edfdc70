"""This machine alone: the SQLite store, local artifacts, pull requests on local repositories."""
