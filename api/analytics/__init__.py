"""Workflow analytics: time series, per-node funnel, split results, insights and who is where."""
