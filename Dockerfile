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

# Stage 2: the runtime: git, and what the sandbox needs (bubblewrap, libseccomp).
FROM python:3.11-slim-bookworm
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        git=1:2.39.* bubblewrap=0.8.* libseccomp2=2.5.* \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/cody /opt/cody
# cody runs as root: the uid tier (AWS Fargate has no user namespaces) runs each command as an
# unprivileged uid of its own, which only root can switch to, and bwrap runs it as that uid
# too. Root's own things are out of those uids' reach: cody's code and virtualenv are
# root-owned, read-only and closed to others, HOME and CODY_HOME are mode 0700.
RUN chmod -R go-rwx,a-w /opt/cody \
    && chmod 0700 /root \
    && install -d -m 0700 /root/.cody

# Exit codes: 0 job terminal, 2 bad input, 3 not finished (retry), 143 SIGTERM (retry).
ENV PATH=/opt/cody/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/root \
    CODY_STORE=dynamodb \
    CODY_HOME=/root/.cody \
    CODY_SANDBOX=auto
WORKDIR /root
ENTRYPOINT ["cody", "job", "run"]
