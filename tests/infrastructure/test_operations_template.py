"""What template.yaml gives an operator: logs that expire, an access log without query strings,
alarms (with an optional SNS topic), a dashboard, gradual deployments that roll back on the
alarms, an optional custom domain, and samconfig.toml's dev and prod environments."""

import json
import re
import tomllib
from pathlib import Path
from typing import Any

from tools import operations_template, sam_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = sam_template.template()
PARAMETERS: dict[str, Any] = TEMPLATE["Parameters"]
RESOURCES = sam_template.resources()
FUNCTIONS = [n for n, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function"]
ENVIRONMENT = sam_template.function_environment()
ALARM_TOPIC_ACTIONS = {"Fn::If": ["HasAlarmEmail", [{"Ref": "AlarmTopic"}], {"Ref": "AWS::NoValue"}]}


def _alarms() -> dict[str, dict[str, Any]]:
    return {n: r["Properties"] for n, r in RESOURCES.items() if r["Type"] == "AWS::CloudWatch::Alarm"}


def _metric_stats(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    return [query["MetricStat"]["Metric"] for query in alarm["Metrics"] if "MetricStat" in query]


def test_the_per_function_block_is_what_make_ops_template_writes() -> None:
    """A function added without its log group and alarms fails here: run `make ops-template`."""
    text = sam_template.TEMPLATE.read_text()
    assert operations_template.rewritten(text, FUNCTIONS) == text, "run make ops-template"


def test_every_function_has_a_log_group_kept_for_the_retention_parameter() -> None:
    assert PARAMETERS["LogRetentionDays"]["Default"] == 30
    for function in FUNCTIONS:
        group = RESOURCES[f"{function}LogGroup"]
        assert group["Type"] == "AWS::Logs::LogGroup"
        assert group["Properties"]["LogGroupName"] == {"Fn::Sub": "/aws/lambda/${" + function + "}"}
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_every_function_has_an_errors_and_a_throttles_alarm() -> None:
    alarms = _alarms()
    for function in FUNCTIONS:
        for metric in ("Errors", "Throttles"):
            alarm = alarms[f"{function}{metric}Alarm"]
            assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/Lambda", metric)
            assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": function}}]
            assert alarm["Threshold"] == 1
            assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_the_access_log_is_json_kept_for_the_retention_parameter_and_never_holds_a_query_string() -> None:
    settings = RESOURCES["HttpApi"]["Properties"]["AccessLogSettings"]
    assert settings["DestinationArn"] == {"Fn::GetAtt": "ApiAccessLogGroup.Arn"}
    group = RESOURCES["ApiAccessLogGroup"]["Properties"]
    assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    record = json.loads(settings["Format"])
    variables = re.findall(r"\$[\w.]+", settings["Format"])
    assert len(variables) == len(record)  # every field is one variable, nothing else is logged
    assert "$context.routeKey" in variables
    assert "$context.status" in variables
    for variable in variables:
        # The path and the raw request carry the query string (Kibo's SDK puts refresh tokens
        # there); headers carry tokens. Only $context fields about the request's outcome.
        assert variable.startswith("$context."), variable
        assert not re.search(r"path|query|header|authorizer|body", variable, re.IGNORECASE), variable


def test_the_api_alarms_on_its_5xx_rate() -> None:
    alarm = _alarms()["ApiServerErrorRateAlarm"]
    metrics = {metric["MetricName"]: metric for metric in _metric_stats(alarm)}
    assert set(metrics) == {"5xx", "Count"}
    for metric in metrics.values():
        assert metric["Namespace"] == "AWS/ApiGateway"
        assert metric["Dimensions"] == [{"Name": "ApiId", "Value": {"Ref": "HttpApi"}}]
    (rate,) = [query for query in alarm["Metrics"] if query.get("ReturnData")]
    assert "100 * errors / requests" in rate["Expression"]
    assert alarm["Threshold"] == {"Ref": "ApiServerErrorRatePercent"}
    assert PARAMETERS["ApiServerErrorRatePercent"]["Default"] == 1


def test_dynamodb_throttles_and_system_errors_of_every_operation_the_service_calls_raise_alarms() -> None:
    alarms = _alarms()
    throttles = {m["MetricName"] for m in _metric_stats(alarms["DynamoDbThrottlesAlarm"])}
    assert throttles == {"ReadThrottleEvents", "WriteThrottleEvents"}
    system = _metric_stats(alarms["DynamoDbSystemErrorsAlarm"])
    assert {m["MetricName"] for m in system} == {"SystemErrors"}
    operations = {d["Value"] for m in system for d in m["Dimensions"] if d["Name"] == "Operation"}
    store = "".join(p.read_text() for p in (ROOT / "layers/shared/customer_auth/store").glob("*.py"))
    called = {
        "".join(part.title() for part in name.split("_")) for name in re.findall(r"self\._db\.(\w+)\(", store)
    }
    # The one paginated call is the operator's identifier migration (a Scan run from a
    # workstation with tools.operator), not a call any function makes.
    called.discard("GetPaginator")
    assert called <= operations, called - operations
    for metric in [*system, *_metric_stats(alarms["DynamoDbThrottlesAlarm"])]:
        assert {"Name": "TableName", "Value": {"Ref": "AuthTable"}} in metric["Dimensions"]


def test_a_spike_of_refresh_token_reuse_raises_an_alarm_on_the_metric_the_service_emits() -> None:
    alarm = _alarms()["RefreshTokenReuseAlarm"]
    assert alarm["Namespace"] == ENVIRONMENT["POWERTOOLS_METRICS_NAMESPACE"]
    assert alarm["Dimensions"] == [{"Name": "service", "Value": ENVIRONMENT["POWERTOOLS_SERVICE_NAME"]}]
    emitter = (ROOT / "layers/shared/customer_auth/api/http.py").read_text()
    assert f'add_metric(name="{alarm["MetricName"]}"' in emitter
    assert alarm["Threshold"] == {"Ref": "RefreshTokenReuseThreshold"}


def test_every_alarm_notifies_the_optional_sns_topic() -> None:
    assert PARAMETERS["AlarmEmail"]["Default"] == ""
    topic = RESOURCES["AlarmTopic"]
    assert topic["Condition"] == "HasAlarmEmail"
    assert topic["Properties"]["Subscription"] == [{"Protocol": "email", "Endpoint": {"Ref": "AlarmEmail"}}]
    alarms = _alarms()
    assert len(alarms) == 2 * len(FUNCTIONS) + 5  # the API, DynamoDB twice, refresh reuse, mail dead letters
    for name, alarm in alarms.items():
        assert alarm["AlarmActions"] == ALARM_TOPIC_ACTIONS, name
        assert alarm["TreatMissingData"] == "notBreaching", name


def test_one_dashboard_shows_the_api_functions_table_service_metrics_and_alarms() -> None:
    body_template, variables = RESOURCES["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    rendered = re.sub(r"\$\{([^}]+)\}", lambda m: f"<{m.group(1)}>", body_template)
    body = json.loads(rendered)
    text = json.dumps(body)
    for shown in ("<HttpApi>", "<AuthTable>", "AWS/Lambda", "RefreshTokenReuse", "SignIns"):
        assert shown in text, shown
    (alarm_widget,) = [w for w in body["widgets"] if w["type"] == "alarm"]
    shown_alarms = {a.strip("<>").removesuffix(".Arn") for a in alarm_widget["properties"]["alarms"]}
    stack_alarms = {n for n in _alarms() if not n.startswith(tuple(FUNCTIONS))}
    assert shown_alarms == stack_alarms
    assert set(variables) == {"Prefix"}


def test_every_function_is_deployed_gradually_through_an_alias_and_rolled_back_on_the_alarms() -> None:
    globals_ = TEMPLATE["Globals"]["Function"]
    assert globals_["AutoPublishAlias"] == "live"
    preference = globals_["DeploymentPreference"]
    assert preference["Type"] == {"Ref": "DeploymentType"}
    assert {"Ref": "ApiServerErrorRateAlarm"} in preference["Alarms"]
    assert {"Ref": "DynamoDbSystemErrorsAlarm"} in preference["Alarms"]
    choices = PARAMETERS["DeploymentType"]["AllowedValues"]
    assert PARAMETERS["DeploymentType"]["Default"] in choices
    assert any(c.startswith("Canary") for c in choices)
    assert any(c.startswith("Linear") for c in choices)
    for function in FUNCTIONS:
        properties = RESOURCES[function]["Properties"]
        assert "AutoPublishAlias" not in properties, f"{function} overrides the Globals' alias"
        assert "DeploymentPreference" not in properties, function


def test_the_custom_domain_is_off_by_default_and_needs_both_name_and_certificate() -> None:
    assert PARAMETERS["DomainName"]["Default"] == ""
    assert PARAMETERS["CertificateArn"]["Default"] == ""
    condition = TEMPLATE["Conditions"]["HasCustomDomain"]["Fn::And"]
    assert {"Fn::Not": [{"Fn::Equals": [{"Ref": "DomainName"}, ""]}]} in condition
    assert {"Fn::Not": [{"Fn::Equals": [{"Ref": "CertificateArn"}, ""]}]} in condition
    domain = RESOURCES["CustomDomain"]
    assert domain["Condition"] == "HasCustomDomain"
    (configuration,) = domain["Properties"]["DomainNameConfigurations"]
    assert configuration["CertificateArn"] == {"Ref": "CertificateArn"}
    assert configuration["SecurityPolicy"] == "TLS_1_2"
    mapping = RESOURCES["CustomDomainMapping"]
    assert mapping["Condition"] == "HasCustomDomain"
    assert mapping["Properties"]["ApiId"] == {"Ref": "HttpApi"}
    outputs = TEMPLATE["Outputs"]
    assert outputs["CustomDomainTarget"]["Condition"] == "HasCustomDomain"


def test_samconfig_has_dev_and_prod_environments_that_deploy_this_template() -> None:
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    stacks = set()
    for environment in ("dev", "prod"):
        deploy = config[environment]["deploy"]["parameters"]
        # In the global section, so that sam deploy and sam delete (make destroy) name one stack.
        stacks.add(config[environment]["global"]["parameters"]["stack_name"])
        assert "CAPABILITY_IAM" in deploy["capabilities"].split()
        overrides = dict(pair.split("=", 1) for pair in deploy["parameter_overrides"].split())
        assert set(overrides) <= set(PARAMETERS)
        assert overrides["DeploymentType"] in PARAMETERS["DeploymentType"]["AllowedValues"]
        assert int(overrides["LogRetentionDays"]) in PARAMETERS["LogRetentionDays"]["AllowedValues"]
    assert len(stacks) == 2
    prod = config["prod"]["deploy"]["parameters"]
    assert prod["confirm_changeset"] is True
    assert "DeploymentType=AllAtOnce" not in prod["parameter_overrides"]
