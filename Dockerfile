# The project's processes (api, worker, bridge) share one image; the command picks the process.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md ./
COPY streams ./streams
COPY api ./api
COPY bridge ./bridge
COPY workflows ./workflows
RUN pip install --no-cache-dir .
ENTRYPOINT ["workflows"]
