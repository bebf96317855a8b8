"""Hybrid retrieval: dense and keyword search fused, and names spelled another way."""
