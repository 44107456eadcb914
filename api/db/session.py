"""Sessions: the request edge owns the transaction (commit on success, rollback on any error)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: responses are built from objects after the commit.
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
    factory: async_sessionmaker[AsyncSession] = request.app.state.sessions
    async with factory() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()
            wake = getattr(request.app.state, "outbox_wakeup", None)
            if wake is not None:
                wake.set()  # a committed change may have written outbox rows: publish them now


# scope="function": commit before the response is sent, so a failed commit is the response.
DbSession = Annotated[AsyncSession, Depends(request_session, scope="function")]
