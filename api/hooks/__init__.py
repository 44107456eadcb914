"""Inbound webhooks: a workflow with a webhook trigger is started by POSTing to its secret URL."""
