"""``python -m tools.operations_template`` (``make ops-template``): each function's log group and
alarms in template.yaml, written from the list of its functions.

Every ``AWS::Serverless::Function`` gets a log group kept ``LogRetentionDays`` (Lambda's own would
keep everything for ever) and an alarm on its errors and one on its throttles. They are plain
resources between two marker lines, rewritten by this tool: ``Fn::ForEach`` would say it in one
block, but ``sam build`` cannot read it. A template test fails when the block is not what this
tool writes, so a function added without them is caught; run ``make ops-template``.
"""

import sys

from . import sam_template

BEGIN = "  # -- BEGIN per-function operations: written by `make ops-template`, do not edit --------------\n"
END = "  # -- END per-function operations -------------------------------------------------------------\n"

_PER_FUNCTION = """\
  {name}LogGroup:
    Type: AWS::Logs::LogGroup
    DeletionPolicy: Delete
    UpdateReplacePolicy: Delete
    Properties:
      LogGroupName: !Sub /aws/lambda/${{{name}}}
      RetentionInDays: !Ref LogRetentionDays
{alarms}"""

_ALARM = """\
  {name}{metric}Alarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmDescription: {name} {description}
      Namespace: AWS/Lambda
      MetricName: {metric}
      Dimensions:
        - Name: FunctionName
          Value: !Ref {name}
      Statistic: Sum
      Period: 60
      EvaluationPeriods: 1
      Threshold: 1
      ComparisonOperator: GreaterThanOrEqualToThreshold
      TreatMissingData: notBreaching
      AlarmActions: !If [HasAlarmEmail, [!Ref AlarmTopic], !Ref AWS::NoValue]
"""

ALARMS = {
    "Errors": "failed (an exception or a timeout; a 4xx answer is not an error).",
    "Throttles": "was throttled (the account's or its reserved concurrency ran out).",
}


def functions() -> list[str]:
    return [n for n, r in sam_template.resources().items() if r["Type"] == "AWS::Serverless::Function"]


def block(names: list[str]) -> str:
    parts = []
    for name in names:
        alarms = "".join(
            _ALARM.format(name=name, metric=metric, description=description)
            for metric, description in ALARMS.items()
        )
        parts.append(_PER_FUNCTION.format(name=name, alarms=alarms))
    return BEGIN + "\n".join(parts) + END


def rewritten(text: str, names: list[str]) -> str:
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[:start] + block(names) + text[end:]


def main() -> int:
    text = sam_template.TEMPLATE.read_text()
    new = rewritten(text, functions())
    if new != text:
        sam_template.TEMPLATE.write_text(new)
        print(f"rewrote the per-function operations of {len(functions())} functions in template.yaml")
    return 0


if __name__ == "__main__":
    sys.exit(main())
