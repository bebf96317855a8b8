"""The `newsdesk` command line: a thin layer over the library, one command per task."""
