"""Transactional outbox: rows written with the change they announce; the relay publishes them to Kafka."""
