# The polegraph API for docker-compose.yml. Build: docker build -t polegraph .
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
    POLEGRAPH_STATE_DIR=/var/lib/polegraph
RUN useradd --system --create-home --uid 10001 polegraph \
 && mkdir -p /var/lib/polegraph/audit && chown -R polegraph /var/lib/polegraph
WORKDIR /app
COPY pyproject.toml README.md ./
COPY polegraph ./polegraph
# Set PIP_EXTRA_INDEX_URL at build time to the index of torch's CPU-only wheels to keep the image
# small (the default torch wheel carries the CUDA libraries, several GB).
ARG PIP_EXTRA_INDEX_URL=""
RUN pip install --no-cache-dir .
USER polegraph
EXPOSE 8000
CMD ["polegraph", "serve", "--host", "0.0.0.0", "--port", "8000"]
