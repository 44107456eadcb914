"""Native development services: Kafka (KRaft), PostgreSQL and NATS JetStream on 127.0.0.1.

`workflows services up` starts what is not already running and healthy, reuses what is,
and refuses clearly when a port is held by something else. `down` stops only what `up` started.
"""

from workflows.services.base import ServiceError, ServiceStatus
from workflows.services.manager import all_services, down, status, up

__all__ = ["ServiceError", "ServiceStatus", "all_services", "down", "status", "up"]
