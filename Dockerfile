# syntax=docker/dockerfile:1
# Build stage: a wheel of the project and its dependencies, built from pyproject.toml.
FROM python:3.11-slim AS build
WORKDIR /src
RUN pip install --no-cache-dir --upgrade pip build
COPY pyproject.toml README.md ./
COPY core ./core
COPY bot ./bot
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# Runtime stage: only the installed wheels, the migrations and the locales, run as a non-root user.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN useradd --create-home --uid 10001 copytrade
WORKDIR /app
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
COPY migrations ./migrations
COPY locales ./locales
RUN python -c "from bot.i18n import compile_catalogs; compile_catalogs()" && \
    mkdir -p /app/data && chown -R copytrade:copytrade /app
USER copytrade
VOLUME ["/app/data"]
ENTRYPOINT ["copytrade"]
CMD ["run"]
