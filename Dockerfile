# The project's processes (api, worker, bridge) share one image; the command picks the process.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md ./
COPY streams ./streams
COPY api ./api
COPY bridge ./bridge
COPY workflows ./workflows
RUN pip install --no-cache-dir . \
    && useradd --system --uid 10001 --home-dir /app --no-create-home --shell /usr/sbin/nologin workflows \
    && mkdir -p /data && chown workflows:workflows /data
# Never root: a compromised process gets an unprivileged account with no shell and a read-only /app.
USER 10001:10001
ENTRYPOINT ["workflows"]
