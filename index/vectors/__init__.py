"""Embedding models (MiniLM on ONNX Runtime or torch, a server's, the multilingual one), the
vector stores (FAISS files, Milvus), and keeping them in step with the archive."""
