"""Help-centre answers: documents, chunking, embeddings, the FAISS index, hybrid retrieval."""
