"""Database access: the async engine, migrations, models and repositories."""
