"""The ways people reach newsdesk: the Telegram bot and the `newsdesk` command line."""
