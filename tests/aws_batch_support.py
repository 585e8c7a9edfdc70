"""moto's AWS Batch with a queue and a job definition like the template's, for the tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from moto import mock_aws

from cody_adapters.aws.batch import batch_client
from dynalite import use_dummy_credentials

REGION = "eu-west-1"
QUEUE = "cody-queue"
DEFINITION = "cody-job"


@contextmanager
def moto_batch(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A Batch client on moto (no Docker: submitted jobs just succeed), with dummy credentials,
    a Fargate compute environment, QUEUE and DEFINITION."""
    use_dummy_credentials(monkeypatch)
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_BATCH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")  # the subnet needs no AMIs: 1 s less
    with mock_aws(config={"batch": {"use_docker": False}}):
        client = batch_client(REGION)
        _create_queue_and_definition(client)
        yield client


def _create_queue_and_definition(client: Any) -> None:
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="cody", Description="cody", VpcId=vpc)["GroupId"]
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(RoleName="cody-batch", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    environment = client.create_compute_environment(
        computeEnvironmentName="cody-fargate",
        type="MANAGED",
        state="ENABLED",
        serviceRole=role,
        computeResources={
            "type": "FARGATE",
            "maxvCpus": 16,
            "subnets": [subnet],
            "securityGroupIds": [group],
        },
    )
    client.create_job_queue(
        jobQueueName=QUEUE,
        state="ENABLED",
        priority=1,
        computeEnvironmentOrder=[
            {"order": 1, "computeEnvironment": environment["computeEnvironmentArn"]}
        ],
    )
    client.register_job_definition(
        jobDefinitionName=DEFINITION,
        type="container",
        platformCapabilities=["FARGATE"],
        parameters={"maxRepositories": "0"},
        containerProperties={
            "image": "cody-batch:latest",
            "command": ["Ref::jobId", "Ref::maxRepositories"],
            "executionRoleArn": role,
            "resourceRequirements": [
                {"type": "VCPU", "value": "1"},
                {"type": "MEMORY", "value": "2048"},
            ],
        },
    )
