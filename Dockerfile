# Multi-stage: build a wheel with its dependencies, then run it as a non-root user.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY acs ./acs
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /app acs
WORKDIR /app
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/* && rm -rf /wheels
COPY --chown=acs:acs config ./config
COPY --chown=acs:acs rules ./rules
COPY --chown=acs:acs challenge_ui ./challenge_ui
USER acs
# ACS_STORE: "memory" or redis://host:6379/0 (then ACS_DATA_KEY is required: `acs keys data-key`).
ENV ACS_HOST=0.0.0.0 \
    ACS_PORT=8443 \
    ACS_STORE=memory \
    PYTHONUNBUFFERED=1
EXPOSE 8443
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD python -c "import os,urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"ACS_PORT\"]}/healthz', timeout=2)"
CMD ["acs", "serve"]
