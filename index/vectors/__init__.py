"""Embedding models, the vector stores (FAISS), and keeping them in step with the archive."""
