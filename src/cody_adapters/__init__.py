"""One thin adapter per outside system, one subpackage each.

`aws`, `claude`, `git`, `github` and `local` do not import one another; they may use
`process` (running programs on this host, sandboxed) and `shared` (helpers every adapter may
use). import-linter keeps it so.
"""
