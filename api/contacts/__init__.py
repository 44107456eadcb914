"""Contacts: erasure of one contact's data for the caller's tenant (``DELETE /api/v1/contacts/{id}``)."""
