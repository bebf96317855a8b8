"""Generated answers: language models, and the writer that checks what they write."""
