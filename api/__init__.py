"""The FastAPI sidecar: workflow definitions and read models in PostgreSQL."""
