"""The Telegram bot: handlers, callbacks, admin uploads, feeds and follows, formatting."""

# This folder installs as newsdesk.bot; imported as `bot` from the project root it would be a
# second copy of every module (two Settings classes, two archives' worth of state).
if __name__ != "newsdesk.bot":
    raise ImportError(f"the folder bot/ installs as newsdesk.bot: import that, not {__name__}")
