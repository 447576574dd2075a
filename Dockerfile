# One image for every sendwatch service (Airflow, the dashboard, the CLI).
FROM python:3.11-slim
ENV UV_PROJECT_ENVIRONMENT=/opt/sendwatch/.venv \
    SENDWATCH_HOME=/var/sendwatch \
    PATH=/opt/sendwatch/.venv/bin:$PATH
RUN pip install --no-cache-dir uv==0.9.30
WORKDIR /opt/sendwatch
COPY pyproject.toml uv.lock README.md ./
COPY src ./src
RUN uv sync --locked --no-dev
COPY . .
