"""template.yaml holds the promises the deployment makes: one function per endpoint, least
privilege, keys in Secrets Manager, and a table that cannot be lost by accident."""

import re
from pathlib import Path
from typing import Any

from tools import sam_template

ROOT = Path(__file__).resolve().parents[2]
RESOURCES: dict[str, Any] = sam_template.resources()
FUNCTIONS = {
    name: r["Properties"] for name, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function"
}
TABLE = sam_template.table_properties()

# What each function's code calls on the table (the store methods its route reaches).
DYNAMODB_ACTIONS = {
    "AppTokenFunction": {
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:PutItem",
        "dynamodb:DeleteItem",
    },
    "AppTicketFunction": {"dynamodb:GetItem", "dynamodb:PutItem"},
    "RefreshAppTicketFunction": {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"},
    "DeleteAppTicketFunction": {"dynamodb:DeleteItem"},
    "AddAccountFunction": {"dynamodb:PutItem"},
    "AddAccountAndLoginFunction": {"dynamodb:GetItem", "dynamodb:PutItem"},
    "SignInFunction": {"dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"},
    "RefreshFunction": {
        "dynamodb:BatchGetItem",
        "dynamodb:PutItem",
        "dynamodb:ConditionCheckItem",
        "dynamodb:DeleteItem",
    },
    "LogOutFunction": {"dynamodb:BatchGetItem", "dynamodb:DeleteItem", "dynamodb:PutItem"},
    "AnonymousShopperFunction": {"dynamodb:GetItem", "dynamodb:PutItem"},
    "UpdateAccountFunction": {
        "dynamodb:BatchGetItem",
        "dynamodb:UpdateItem",
        "dynamodb:PutItem",
        "dynamodb:DeleteItem",
    },
    "DeleteAccountFunction": {
        "dynamodb:BatchGetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:BatchWriteItem",
        "dynamodb:DeleteItem",
        "dynamodb:ConditionCheckItem",
    },
    "CurrentAccountFunction": {"dynamodb:BatchGetItem"},
    "ChangePasswordFunction": {"dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"},
    "SetLoginLockedFunction": {"dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"},
    "LoginStateFunction": {"dynamodb:BatchGetItem"},
    "TwoFactorRequestFunction": {"dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"},
    "TwoFactorAuthFunction": {
        "dynamodb:BatchGetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
    },
    "ResetPasswordFunction": {
        "dynamodb:BatchGetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
    },
    "UpdateForgottenPasswordFunction": {"dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"},
    "OtpRequestFunction": {
        "dynamodb:BatchGetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
    },
    "OtpAuthFunction": {"dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"},
    "SetPasswordChangeRequiredFunction": {"dynamodb:BatchGetItem", "dynamodb:PutItem"},
    "ChangePasswordsFunction": {"dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"},
    "LoginStateByUserNameFunction": {"dynamodb:BatchGetItem"},
    "LoginStateByEmailAddressFunction": {"dynamodb:BatchGetItem"},
    "TenantDataFunction": {"dynamodb:GetItem"},
    "GetAccountFunction": {"dynamodb:GetItem"},
    "CreateLoginFunction": {
        "dynamodb:BatchGetItem",
        "dynamodb:UpdateItem",
        "dynamodb:PutItem",
        "dynamodb:ConditionCheckItem",
    },
    "MailerFunction": {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"},
    "JwksFunction": set(),
    "ApiDocsFunction": set(),
    "NotFoundFunction": set(),
}


def _table_actions(properties: dict[str, Any]) -> set[str]:
    actions: set[str] = set()
    for policy in properties.get("Policies", []):
        for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
            if statement["Resource"] == {"Fn::GetAtt": "AuthTable.Arn"}:
                actions |= set(statement["Action"])
    return actions


def test_each_function_serves_its_own_routes_from_its_own_code_folder() -> None:
    for name, properties in FUNCTIONS.items():
        assert properties["Events"], name
        assert (ROOT / properties["CodeUri"] / "app.py").is_file(), name
        assert properties["Handler"] == "app.lambda_handler"
    paths = [route.route_key for route in sam_template.routes()]
    assert len(paths) == len(set(paths)), "a route served twice"


def test_each_function_gets_exactly_the_table_actions_its_code_uses_and_no_wildcards() -> None:
    assert {name: _table_actions(p) for name, p in FUNCTIONS.items()} == DYNAMODB_ACTIONS
    for properties in FUNCTIONS.values():
        assert "MemorySize" in properties
        assert not any("*" in a for a in _table_actions(properties))


def test_table_has_on_demand_billing_ttl_point_in_time_recovery_and_deletion_protection() -> None:
    assert TABLE["BillingMode"] == "PAY_PER_REQUEST"
    assert TABLE["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}
    assert TABLE["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert TABLE["DeletionProtectionEnabled"] is True


def test_signing_keys_come_from_secrets_manager_and_no_environment_value_looks_like_a_secret() -> None:
    globals_env = sam_template.function_environment()
    assert globals_env["SIGNING_KEYS_SECRET_ID"] == {"Ref": "SigningKeys"}
    assert RESOURCES["SigningKeys"]["Type"] == "AWS::SecretsManager::Secret"
    for name, value in globals_env.items():
        assert not re.search(r"SECRET(?!_ID)|PASSWORD|PRIVATE", name), name
        assert not (isinstance(value, str) and "BEGIN" in value)


def test_runtime_architecture_layer_and_api_throttling() -> None:
    function_globals = sam_template.template()["Globals"]["Function"]
    assert function_globals["Runtime"] == "python3.13"
    assert function_globals["Architectures"] == ["arm64"]
    assert function_globals["Layers"] == [{"Ref": "SharedLayer"}]
    assert RESOURCES["SharedLayer"]["Metadata"]["BuildMethod"] == "python3.13"
    throttling = RESOURCES["HttpApi"]["Properties"]["DefaultRouteSettings"]
    assert {"ThrottlingRateLimit", "ThrottlingBurstLimit"} <= set(throttling)


PUBLISHERS = {
    "TwoFactorRequestFunction",
    "ResetPasswordFunction",
    "OtpRequestFunction",
    "UpdateAccountFunction",
    "SignInFunction",
    "ChangePasswordFunction",
    "UpdateForgottenPasswordFunction",
    "ChangePasswordsFunction",
    "DeleteAccountFunction",
}
"""The functions that put codes or security notices on the code bus."""


def test_only_the_functions_that_publish_may_put_events_on_the_code_bus() -> None:
    def puts(properties: dict[str, Any]) -> bool:
        return {"EventBridgePutEventsPolicy": {"EventBusName": {"Ref": "CodeDeliveryBus"}}} in properties.get(
            "Policies", []
        )

    assert {name for name, p in FUNCTIONS.items() if puts(p)} == PUBLISHERS
    for name in PUBLISHERS:
        assert sam_template.own_environment(name)["CODE_EVENT_BUS_NAME"] == {"Ref": "CodeDeliveryBus"}


def test_the_mailer_reads_only_tenants_and_writes_only_its_idempotency_records() -> None:
    statements = [s for p in FUNCTIONS["MailerFunction"]["Policies"] for s in p.get("Statement", [])]
    table = [s for s in statements if s["Resource"] == {"Fn::GetAtt": "AuthTable.Arn"}]
    assert {tuple(s["Action"]): s["Condition"] for s in table} == {
        ("dynamodb:GetItem",): {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["TENANT#*"]}},
        ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"): {
            "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["MAILER#IDEMPOTENCY"]}
        },
    }
    (ses,) = [s for s in statements if s not in table]
    assert set(ses["Action"]) == {"ses:SendEmail", "ses:SendRawEmail"}
    arns = [resource["Fn::Sub"][0] for resource in ses["Resource"]]
    assert arns == [
        "arn:${AWS::Partition}:ses:${Region}:${AWS::AccountId}:identity/*",
        "arn:${AWS::Partition}:ses:${Region}:${AWS::AccountId}:configuration-set/${Name}",
    ]
    # The mailer reads no signing key: it needs none.
    assert not any(
        "AWSSecretsManagerGetSecretValuePolicy" in p for p in FUNCTIONS["MailerFunction"]["Policies"]
    )


def test_the_mailer_takes_the_rules_queue_in_batches_reporting_each_failure_and_dead_letters_them() -> None:
    (event,) = FUNCTIONS["MailerFunction"]["Events"].values()
    assert event["Type"] == "SQS"
    assert event["Properties"]["Queue"] == {"Fn::GetAtt": "MailQueue.Arn"}
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    queue = RESOURCES["MailQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": "MailDeadLetterQueue.Arn"}
    assert queue["VisibilityTimeout"] >= 6 * FUNCTIONS["MailerFunction"]["Timeout"]
    assert queue["SqsManagedSseEnabled"] is True
    assert RESOURCES["MailDeadLetterQueue"]["Properties"]["SqsManagedSseEnabled"] is True
    rule = RESOURCES["MailRule"]["Properties"]
    assert rule["EventBusName"] == {"Ref": "CodeDeliveryBus"}
    (target,) = rule["Targets"]
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": "MailDeadLetterQueue.Arn"}}
    alarm = RESOURCES["MailDeadLetterAlarm"]["Properties"]
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": "MailDeadLetterQueue.QueueName"}}
    ]
    assert alarm["Threshold"] == 1
    environment = sam_template.own_environment("MailerFunction")
    assert set(environment) == {"MAIL_SENDER", "MAIL_REGION", "MAIL_CONFIGURATION_SET", "SMTP_URL"}
    assert sam_template.template()["Parameters"]["SmtpUrl"]["NoEcho"] is True
