# recbot images, one per process role (docker build --target …):
#   serve  the Slack app (`recbot serve`) and the CLI, without TensorFlow: small and quick to start.
#          It runs with SCHEDULER=off; the scheduler runs from the `train` image.
#   train  everything, TensorFlow included: `recbot scheduler` (weekly retrain in a child process,
#          digests), `recbot train`, `recbot evaluate`. The default target.
# Versions are pinned by constraints.txt, the set CI tested.

FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 recbot
WORKDIR /app

# The dependency list of one extra ("" for the base set), for a layer of its own that is
# rebuilt only when pyproject.toml or constraints.txt change.
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
    open('/tmp/serve.txt', 'w').write('\n'.join(p['dependencies'])); \
    open('/tmp/train.txt', 'w').write('\n'.join(p['optional-dependencies']['train']))"

FROM base AS serve
RUN pip install -c constraints.txt -r /tmp/serve.txt
COPY README.md alembic.ini ./
COPY core ./core
COPY bot ./bot
COPY model ./model
COPY db ./db
COPY migrations ./migrations
RUN pip install --no-deps . && mkdir /data && chown recbot:recbot /data
# The embedded SQLite default (used when DATABASE_URL is unset) lives in /data.
WORKDIR /data
USER recbot
ENV SCHEDULER=off
EXPOSE 3000
CMD ["recbot", "serve"]

FROM serve AS train
USER root
RUN pip install -c /app/constraints.txt -r /tmp/train.txt
USER recbot
ENV SCHEDULER=on
CMD ["recbot", "scheduler"]
