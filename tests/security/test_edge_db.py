"""SQLAlchemy errors never carry a statement's bound values (contact data, secrets) into logs or answers."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from api.db.engine import create_engine
from workflows.settings import Settings

pytestmark = pytest.mark.integration


async def test_engine_errors_hide_query_parameters(services: Settings) -> None:
    engine = create_engine(services)
    secret = "sk-live-very-secret-value-42"
    try:
        async with engine.connect() as conn:
            with pytest.raises(DBAPIError) as caught:
                # The value reaches the server; the statement fails there (division by zero).
                await conn.execute(text("SELECT 1 / 0 WHERE :value IS NOT NULL"), {"value": secret})
    finally:
        await engine.dispose()
    assert secret not in str(caught.value)
    assert "hidden due to hide_parameters" in str(caught.value)
    assert services.database_url.get_secret_value().split("@")[0] not in repr(engine)
