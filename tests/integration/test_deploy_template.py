"""deploy/cloudformation.yaml and the Dockerfile say what the code and the README assume."""

from __future__ import annotations

import fnmatch
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from cody_adapters.aws.batch import RETRY_STRATEGY
from cody_adapters.aws.dynamodb_tables import TTL_ATTRIBUTE, table_specs

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {"GITHUB_TOKEN", "CLAUDE_API_KEY"}


class CloudFormationLoader(yaml.SafeLoader):
    """Reads the short tags as the long forms: `!Ref X` is {"Ref": "X"}, `!Sub s` {"Fn::Sub": s}."""


def _short_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


CloudFormationLoader.add_multi_constructor("!", _short_tag)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return yaml.load((ROOT / "deploy" / "cloudformation.yaml").read_text(), CloudFormationLoader)


def resources_of(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    found = {k: v for k, v in template["Resources"].items() if v["Type"] == kind}
    assert found, f"no {kind} in the template"
    return found


def job_definition(template: dict[str, Any]) -> dict[str, Any]:
    [definition] = resources_of(template, "AWS::Batch::JobDefinition").values()
    return definition["Properties"]


def statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    """Every IAM statement: roles' inline policies, role policies and managed policies."""
    found: list[dict[str, Any]] = []
    for resource in template["Resources"].values():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::IAM::Role":
            documents = [p["PolicyDocument"] for p in properties.get("Policies", [])]
        elif resource["Type"] in ("AWS::IAM::RolePolicy", "AWS::IAM::ManagedPolicy"):
            documents = [properties["PolicyDocument"]]
        else:
            continue
        for document in documents:
            found += document["Statement"]
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_secrets_come_from_secrets_manager_and_never_from_the_plain_environment(template):
    container = job_definition(template)["ContainerProperties"]
    parameters = template["Parameters"]

    secrets = {s["Name"]: s["ValueFrom"] for s in container["Secrets"]}
    assert set(secrets) == SECRETS
    for value_from in secrets.values():
        parameter = parameters[value_from["Ref"]]
        assert "secretsmanager" in parameter["AllowedPattern"] and "Default" not in parameter
    environment = container["Environment"]
    names = {e["Name"] for e in environment if "Name" in e}
    assert not names & SECRETS
    assert not any(v in json.dumps(environment) for v in map(json.dumps, secrets.values()))


def test_the_execution_role_reads_exactly_the_two_secrets(template):
    reads = [
        s for s in statements(template) if "secretsmanager:GetSecretValue" in as_list(s["Action"])
    ]
    assert len(reads) == 1
    assert sorted(r["Ref"] for r in reads[0]["Resource"]) == sorted(
        s["ValueFrom"]["Ref"] for s in job_definition(template)["ContainerProperties"]["Secrets"]
    )


def test_the_container_runs_the_job_with_the_store_and_artifacts_of_this_stack(template):
    definition = job_definition(template)
    container = definition["ContainerProperties"]
    environment = {e["Name"]: e["Value"] for e in container["Environment"] if "Name" in e}

    assert definition["PlatformCapabilities"] == ["FARGATE"]
    assert container["Command"] == ["Ref::jobId", "Ref::maxRepositories"]
    assert definition["Parameters"]["maxRepositories"] == "0"  # every repository
    assert environment["CODY_STORE"] == "dynamodb"
    assert environment["DYNAMODB_TABLE_PREFIX"] == {"Ref": "TablePrefix"}
    assert environment["DYNAMODB_JOBS_TABLE"] == {"Ref": "JobsTable"}
    assert environment["DYNAMODB_REPOSITORIES_TABLE"] == {"Ref": "RepositoriesTable"}
    assert environment["CODY_ARTIFACTS"] == {"Fn::Sub": "s3://${ArtifactBucket}/runs"}
    assert environment["AWS_REGION"] == {"Ref": "AWS::Region"}
    assert definition["Timeout"]["AttemptDurationSeconds"] == {"Ref": "AttemptDurationSeconds"}
    vcpu, memory = ({"Ref": "JobVcpu"}, {"Ref": "JobMemory"})
    assert {r["Type"]: r["Value"] for r in container["ResourceRequirements"]} == {
        "VCPU": vcpu,
        "MEMORY": memory,
    }


def test_exit_codes_3_and_143_are_retried_and_anything_else_is_final(template):
    strategy = job_definition(template)["RetryStrategy"]
    rules = strategy["EvaluateOnExit"]

    retried = {r["OnExitCode"] for r in rules if r["Action"] == "RETRY" and "OnExitCode" in r}
    assert retried == {"3", "143"}
    assert {"OnStatusReason": "Host EC2*", "Action": "RETRY"} in rules
    assert rules[-1]["Action"] == "EXIT" and set(rules[-1].values()) - {"EXIT"} == {"*"}
    assert strategy["Attempts"] == 3


def test_exit_code_1_failed_repositories_is_final_before_any_other_rule(template):
    # Batch takes the first rule that matches; a job that ended with failed repositories would
    # end the same way again, so a new attempt is never made for it.
    rules = job_definition(template)["RetryStrategy"]["EvaluateOnExit"]

    first_for_1 = next(r for r in rules if fnmatch.fnmatch("1", r.get("OnExitCode", "*")))
    assert first_for_1 == {"OnExitCode": "1", "Action": "EXIT"}
    assert rules.index(first_for_1) < min(i for i, r in enumerate(rules) if r["Action"] == "RETRY")


def test_the_submitter_sends_the_retry_strategy_of_the_job_definition(template):
    strategy = job_definition(template)["RetryStrategy"]
    as_api = {
        "attempts": strategy["Attempts"],
        "evaluateOnExit": [
            {key[0].lower() + key[1:]: value for key, value in rule.items()}
            for rule in strategy["EvaluateOnExit"]
        ],
    }
    assert as_api == RETRY_STRATEGY


@pytest.mark.parametrize(
    ("suffix", "spec"), list(zip(["jobs", "repositories"], table_specs("", ""), strict=True))
)
def test_the_tables_are_the_ones_the_dynamodb_store_creates(template, suffix, spec):
    tables = resources_of(template, "AWS::DynamoDB::Table")
    [table] = [
        t["Properties"]
        for t in tables.values()
        if t["Properties"]["TableName"] == {"Fn::Sub": f"${{TablePrefix}}-{suffix}"}
    ]
    expected = spec.definition()

    assert table["KeySchema"] == expected["KeySchema"]
    assert table["AttributeDefinitions"] == expected["AttributeDefinitions"]
    assert table["GlobalSecondaryIndexes"] == expected["GlobalSecondaryIndexes"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert template["Parameters"]["TablePrefix"]["Default"] == "cody-batch"


def test_the_bucket_is_private_encrypted_and_reachable_only_over_tls(template):
    [(name, bucket)] = resources_of(template, "AWS::S3::Bucket").items()
    properties = bucket["Properties"]

    assert set(properties["PublicAccessBlockConfiguration"]) == {
        "BlockPublicAcls",
        "BlockPublicPolicy",
        "IgnorePublicAcls",
        "RestrictPublicBuckets",
    }
    assert all(properties["PublicAccessBlockConfiguration"].values())
    [rule] = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    [policy] = resources_of(template, "AWS::S3::BucketPolicy").values()
    assert policy["Properties"]["Bucket"] == {"Ref": name}
    [deny] = policy["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"]["Bool"]["aws:SecureTransport"] == "false"


def test_dynamodb_permissions_name_only_the_two_tables(template):
    tables = set(resources_of(template, "AWS::DynamoDB::Table"))
    granted = [
        s for s in statements(template) if any("dynamodb" in a for a in as_list(s["Action"]))
    ]

    assert granted
    for statement in granted:
        assert statement["Effect"] == "Allow"
        assert not any(a.endswith("*") for a in as_list(statement["Action"]))
        for resource in as_list(statement["Resource"]):
            assert resource != "*"
            target = resource.get("Fn::GetAtt") or re.findall(r"\$\{(\w+)\.Arn\}", str(resource))
            assert target and target[0] in tables, resource


def test_the_job_role_may_read_its_own_batch_job_and_nothing_else_of_batch(template):
    [role] = [
        r["Properties"]
        for r in resources_of(template, "AWS::IAM::Role").values()
        if r["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
        == {"Service": "ecs-tasks.amazonaws.com"}
        and any(p["PolicyName"] == "cody-store-and-artifacts" for p in r["Properties"]["Policies"])
    ]
    granted = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]

    batch = [s for s in granted if any(a.startswith("batch:") for a in as_list(s["Action"]))]
    assert [as_list(s["Action"]) for s in batch] == [["batch:DescribeJobs"]]


def test_s3_permissions_name_only_the_artifact_bucket(template):
    [bucket] = resources_of(template, "AWS::S3::Bucket")
    granted = [
        s for s in statements(template) if any(a.startswith("s3:") for a in as_list(s["Action"]))
    ]

    assert granted
    for statement in granted:
        for resource in as_list(statement["Resource"]):
            assert bucket in json.dumps(resource), resource


def test_bedrock_is_granted_only_when_asked(template):
    [policy] = resources_of(template, "AWS::IAM::RolePolicy").values()
    [statement] = policy["Properties"]["PolicyDocument"]["Statement"]

    assert policy["Condition"] == "UseBedrock"
    assert template["Parameters"]["EnableBedrock"]["Default"] == "false"
    assert sorted(statement["Action"]) == [
        "bedrock:InvokeModel",
        "bedrock:InvokeModelWithResponseStream",
    ]


def test_the_outputs_name_the_queue_job_definition_bucket_and_tables(template):
    assert {
        "JobQueueArn",
        "JobQueueName",
        "JobDefinitionArn",
        "JobDefinitionName",
        "ArtifactBucketName",
        "JobsTableName",
        "RepositoriesTableName",
    } <= set(template["Outputs"])


def test_the_image_runs_cody_job_run_against_dynamodb_with_what_the_sandbox_needs():
    dockerfile = (ROOT / "Dockerfile").read_text()

    assert 'ENTRYPOINT ["cody", "job", "run"]' in dockerfile
    assert re.search(r"^\s*CODY_STORE=dynamodb\b", dockerfile, re.MULTILINE)
    assert re.search(r"^\s*CODY_SANDBOX=auto\b", dockerfile, re.MULTILINE)
    assert "bubblewrap=" in dockerfile and "libseccomp2=" in dockerfile
    # Root, for the uid tier; what root keeps is closed to the uids repository code runs as.
    assert re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE) == []
    assert "chmod -R go-rwx,a-w /opt/cody" in dockerfile
    assert "chmod 0700 /root" in dockerfile and "install -d -m 0700 /root/.cody" in dockerfile
    assert re.search(r"^\s*CODY_HOME=/root/\.cody\b", dockerfile, re.MULTILINE)


def test_the_sandbox_mode_is_a_parameter_passed_as_cody_sandbox(template):
    parameter = template["Parameters"]["SandboxMode"]
    environment = job_definition(template)["ContainerProperties"]["Environment"]

    assert parameter["Default"] == "auto"
    assert parameter["AllowedValues"] == ["auto", "bwrap", "uid", "none"]
    assert {"Name": "CODY_SANDBOX", "Value": {"Ref": "SandboxMode"}} in environment


def test_the_containers_may_reach_port_443_and_nothing_else(template):
    [(name, group)] = resources_of(template, "AWS::EC2::SecurityGroup").items()
    [compute] = resources_of(template, "AWS::Batch::ComputeEnvironment").values()
    rules = group["Properties"]["SecurityGroupEgress"]

    assert compute["Properties"]["ComputeResources"]["SecurityGroupIds"] == [{"Ref": name}]
    assert "SecurityGroupIngress" not in group["Properties"]
    assert {(r["IpProtocol"], r["FromPort"], r["ToPort"]) for r in rules} == {("tcp", 443, 443)}
    assert {r.get("CidrIp") or r.get("CidrIpv6") for r in rules} == {"0.0.0.0/0", "::/0"}
