# syntax=docker/dockerfile:1
# One image for the web (gunicorn) and CPU workers; `--target gpu` adds the CUDA runtime
# libraries that CTranslate2 needs for GPU workers.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
RUN python -m venv /opt/venv
COPY requirements.txt requirements-nodeps.txt ./
RUN /opt/venv/bin/pip install -r requirements.txt \
 && /opt/venv/bin/pip install --no-deps -r requirements-nodeps.txt
COPY . .
# Static files are collected at build time so the runtime image needs no write access to code.
RUN DEBUG=0 SECRET_KEY=build-only STORAGE_ROOT=/tmp/storage \
    /opt/venv/bin/python manage.py collectstatic --noinput \
 && /opt/venv/bin/python -c "import compileall,sys; sys.exit(not compileall.compile_dir('.', quiet=1))"

FROM ${PYTHON_IMAGE} AS cpu
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    DEBUG=0 \
    STORAGE_ROOT=/data \
    HF_HUB_OFFLINE=1 \
    PORT=8000
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --create-home --home-dir /home/writers writers \
 && mkdir -p /data && chown writers:writers /data
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=writers:writers /app /app
WORKDIR /app
USER writers
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${PORT}/health" || exit 1
CMD ["gunicorn", "writers.asgi:application", "--config", "deploy/gunicorn.conf.py"]

FROM cpu AS gpu
USER root
# CTranslate2 4.8 opens cuBLAS 12 and no cuDNN; transcription/engine.py loads the wheel's copy
# (requirements-gpu.txt), so no LD_LIBRARY_PATH.
COPY requirements-gpu.txt ./
RUN /opt/venv/bin/pip install --no-cache-dir -r requirements-gpu.txt
ENV MODEL_DEVICE=cuda \
    CUDA_DEVICE_ORDER=PCI_BUS_ID
USER writers
CMD ["python", "manage.py", "transcription_worker"]
