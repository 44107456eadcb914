"""Small shared pieces of the API: the response envelope, cursors, schema base classes."""
