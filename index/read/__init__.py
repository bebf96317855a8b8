"""Answers from passages: the Answerer, the extractive reader, its spans, abstention, dates."""
