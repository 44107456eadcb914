"""Tenant policies: the frequency caps across workflows (``GET/PUT /api/v1/policies/frequency-caps``)."""
