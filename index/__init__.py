"""Embeddings, the FAISS index, hybrid retrieval and grounded answers over the archive."""
