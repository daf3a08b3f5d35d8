# syntax=docker/dockerfile:1
# Seva's container image: one image for the web, worker, beat and migrate processes
# (compose.yaml starts them; docs/operations.md, "Container image").
#
# Everything the image does at run time is a script under bin/ (wait for the services,
# migrate, collect static files, start a process). CI runs those same scripts under the
# production settings (tests/config/test_image_scripts.py); only this thin wrapper is not
# built or run in CI, which has no Docker engine.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ------------------------------------------------------------------------------
# Builder: a virtual environment with production's pins from requirements.lock (not the dev
# extra's tools). Wheels only: every pinned package publishes manylinux wheels, so neither
# stage needs a compiler. A new dependency without a wheel fails here, loudly.
# ------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY pyproject.toml requirements.lock ./
COPY bin/seva-runtime-requirements bin/
RUN python bin/seva-runtime-requirements > runtime-requirements.txt \
    && python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-deps --only-binary=:all: -r runtime-requirements.txt \
    && /opt/venv/bin/pip check \
    && /opt/venv/bin/pip uninstall --yes pip

# ------------------------------------------------------------------------------
# Final: the slim Python image, the virtual environment, the source tree; no compiler, no
# package manager caches. The fonts of issued documents (Noto Sans, Noto Sans Devanagari)
# are in the package (platform/seva/documents/fonts): no OS fonts. psycopg-binary brings its
# own libpq, pypdfium2 its pdfium, uharfbuzz its HarfBuzz; oscrypto loads the image's
# libcrypto (OpenSSL 3, already there for Python's ssl module). A PKCS#11 signer needs the
# token's or HSM's vendor module: mount it and name it in SEVA_PKCS11_MODULE.
# ------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="Seva" \
      org.opencontainers.image.description="Service delivery: web, worker, beat (bin/seva-*)"
RUN groupadd --system --gid 10001 seva \
    && useradd --system --uid 10001 --gid seva --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin seva
COPY --from=builder /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app/platform \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=seva.config.settings.prod \
    SEVA_VAR_DIR=/app/var \
    SEVA_BEAT_SCHEDULE=/var/lib/seva-beat/beat-schedule \
    SEVA_BIND=0.0.0.0:8000
WORKDIR /app
# The code and the definition files, owned by root: the process cannot change them.
COPY . .
# Static files are collected once, here, under the production settings, so that every node
# serves the same hashed files. collectstatic reads no database or broker: the values below
# only satisfy the settings' required variables and are not kept in the image.
RUN SECRET_KEY=collectstatic-only ALLOWED_HOSTS=localhost \
    DATABASE_URL=postgres://collectstatic@localhost/none \
    CELERY_BROKER_URL=redis://localhost:6379/0 SEVA_CACHE_URL=redis://localhost:6379/0 \
    SEVA_S3_BUCKET=collectstatic-only SEVA_S3_REGION=us-east-1 \
    SEVA_COLLECTSTATIC_VERBOSITY=0 bin/seva-collectstatic \
    && python -m compileall -q platform \
    && mkdir -p /app/var/signing /var/lib/seva-beat \
    && chown seva:seva /var/lib/seva-beat
USER seva:seva
EXPOSE 8000
# Liveness only (the process answers); a load balancer asks /readyz (docs/operations.md).
HEALTHCHECK --interval=30s --timeout=6s --start-period=30s --retries=3 \
    CMD ["bin/seva-healthcheck", "/healthz"]
CMD ["bin/seva-web"]
