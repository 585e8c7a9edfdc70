"""The `claude` code assistant on the official anthropic SDK."""

from cody_adapters.claude.assistant import ClaudeAssistant
from cody_adapters.claude.budget import TokenBudget
from cody_adapters.claude.client import claude_client

__all__ = ["ClaudeAssistant", "TokenBudget", "claude_client"]
