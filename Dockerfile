# The AWS Batch container: `cody job run JOB_ID [MAX_REPOS]` is its command.
# Build from the repository root: docker build -t cody-batch .

# Stage 1: install the package (without dev extras) into a virtualenv that the image copies.
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/cody
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN /opt/cody/bin/pip install .

# Stage 2: the runtime, with git (the only system tool Cody runs) and a non-root user.
FROM python:3.11-slim-bookworm
RUN apt-get update \
    && apt-get install -y --no-install-recommends git=1:2.39.* \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --no-log-init --uid 10001 --user-group cody
COPY --from=build /opt/cody /opt/cody

# Exit codes: 0 job terminal, 2 bad input, 3 not finished (retry), 143 SIGTERM (retry).
ENV PATH=/opt/cody/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    CODY_STORE=dynamodb \
    CODY_HOME=/home/cody/.cody
USER 10001:10001
WORKDIR /home/cody
ENTRYPOINT ["cody", "job", "run"]
