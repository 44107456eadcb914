"""The only component that talks to NATS: JetStream subjects in, Kafka topics out, and back."""
