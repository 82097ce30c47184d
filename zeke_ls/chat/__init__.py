"""Chat: conversations, prompts for quick actions, and the bounded read-only tool loop."""
