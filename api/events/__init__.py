"""Event types: which types the bridge subscribes to and which it has seen, per tenant, for editors."""
