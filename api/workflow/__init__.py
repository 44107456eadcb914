"""Workflows: authoring, status changes, versions, validation and simulation."""
