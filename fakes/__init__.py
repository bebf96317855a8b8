"""Real local servers standing in for the services newsdesk talks to (Telegram, an OpenAI-compatible
model server, feeds), shared by tests/ and bench/."""
