# recbot: the Slack app (`recbot serve`), the CLI and the scheduled jobs in one image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 recbot

WORKDIR /app

# Dependencies first, in their own layer: it is rebuilt only when pyproject.toml changes.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# Then the code itself, without touching the dependency layer.
COPY README.md alembic.ini ./
COPY core ./core
COPY bot ./bot
COPY model ./model
COPY db ./db
COPY migrations ./migrations
RUN pip install --no-deps .

# The embedded SQLite default (used when DATABASE_URL is unset) lives in /data.
RUN mkdir /data && chown recbot:recbot /data
WORKDIR /data
USER recbot

EXPOSE 3000
CMD ["recbot", "serve"]
