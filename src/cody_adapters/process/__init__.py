"""Programs run on this host: commands, the command assistant, the sandbox, host pre-flight."""
