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
# ACS_BASE_URL: where browsers and the DS reach this container; acsURL, the 3DS Method URL and
#   every page link are built from it. The default suits `docker run -p 8443:8443` on this
#   machine; anywhere else give the address others use: -e ACS_BASE_URL=https://acs.example.com
#   (start-up warns when it cannot work: a 0.0.0.0 host, http with TLS on, loopback).
# TLS (empty: plain HTTP): mount the files (`acs keys init DIR` makes test ones, keys 0600: run
#   with --user "$(id -u)" to read them) and set ACS_TLS_CERT and ACS_TLS_KEY. ACS_DS_PORT (8444)
#   gives the routes a DS or 3DS Server calls their own listener, with mutual TLS when
#   ACS_DS_CLIENT_CA is set; ACS_CLIENT_CERT/ACS_CLIENT_KEY go out on the RReq, ACS_TRUST adds a
#   root to trust.
ENV ACS_HOST=0.0.0.0 \
    ACS_PORT=8443 \
    ACS_STORE=memory \
    ACS_BASE_URL=http://localhost:8443 \
    ACS_TLS_CERT="" \
    ACS_TLS_KEY="" \
    ACS_DS_PORT="" \
    ACS_DS_CLIENT_CA="" \
    ACS_CLIENT_CERT="" \
    ACS_CLIENT_KEY="" \
    ACS_TRUST="" \
    PYTHONUNBUFFERED=1
EXPOSE 8443 8444
# the health check calls its own loopback address, which a TLS certificate need not name
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD python -c "import os,ssl,urllib.request as u; s='https' if os.environ.get('ACS_TLS_CERT') else 'http'; u.urlopen(f'{s}://127.0.0.1:{os.environ[\"ACS_PORT\"]}/healthz', timeout=2, context=ssl._create_unverified_context())"
CMD ["acs", "serve"]
