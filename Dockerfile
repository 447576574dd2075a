# One image for every sendwatch service: Airflow's (scheduler, dag-processor, API
# server, Celery worker), the dashboard and the command line.
FROM python:3.11-slim
ENV UV_PROJECT_ENVIRONMENT=/opt/sendwatch/.venv \
    UV_COMPILE_BYTECODE=1 \
    SENDWATCH_HOME=/var/sendwatch \
    PATH=/opt/sendwatch/.venv/bin:$PATH
# the same uid as Airflow's own image, group 0, so a bind mount can be shared with it
RUN pip install --no-cache-dir uv==0.9.30 \
    && useradd --uid 50000 --gid 0 --home-dir /var/sendwatch --create-home sendwatch
WORKDIR /opt/sendwatch
# the locked dependencies first (a layer that changes only with the lock), then the
# code, then the project itself, so that `dashboards` and `sendwatch` are installed
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --locked --no-dev --no-install-project
COPY . .
RUN uv sync --locked --no-dev \
    && mkdir -p /var/sendwatch/landing /var/sendwatch/airflow \
    && chown -R 50000:0 /var/sendwatch
USER 50000
