# The AWS Batch container: `cody job run JOB_ID [MAX_REPOS]` is its command.
FROM python:3.11-slim

RUN apt-get update \
    && apt-get install -y --no-install-recommends git=1:2.* \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 cody
WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir .

USER cody
ENV CODY_HOME=/home/cody/.cody \
    PYTHONUNBUFFERED=1
ENTRYPOINT ["cody", "job", "run"]
