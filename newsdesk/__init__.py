"""newsdesk: question answering over a news archive."""
