"""`template.yaml`'s log pipeline and monitoring: what `sam validate --lint` accepts but the design
requires (every data-plane group feeds ingest, nothing is lost silently, alarms can notify)."""

from __future__ import annotations

from typing import Any

import pytest

from aigw_local.template import load_template
from tests.functional.test_template import resources_of

DATA_PLANE_GROUPS = ("InferenceLogGroup", "CompatLogGroup")


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def test_every_data_plane_group_feeds_ingest(template: dict[str, Any]) -> None:
    subs = resources_of(template, "AWS::Logs::SubscriptionFilter")
    fed = {s["Properties"]["LogGroupName"]["Ref"] for s in subs.values()}
    assert fed == set(DATA_PLANE_GROUPS)
    permissions = resources_of(template, "AWS::Lambda::Permission")
    for name, sub in subs.items():
        props = sub["Properties"]
        assert props["DestinationArn"] == {"Fn::GetAtt": ["IngestFunction", "Arn"]}
        assert "aigw_log" in props["FilterPattern"], name  # logs.LINE_KEY
        permission = permissions[sub["DependsOn"]]["Properties"]
        assert permission["Principal"] == "logs.amazonaws.com"
        assert permission["SourceArn"] == {"Fn::GetAtt": [props["LogGroupName"]["Ref"], "Arn"]}


def test_ingest_failures_are_kept_and_alarmed(template: dict[str, Any]) -> None:
    ingest = template["Resources"]["IngestFunction"]["Properties"]
    assert ingest["DeadLetterQueue"]["TargetArn"] == {
        "Fn::GetAtt": ["IngestDeadLetterQueue", "Arn"]}
    policies = ingest["Policies"]
    assert {"DynamoDBCrudPolicy": {"TableName": {"Ref": "LogsTable"}}} in policies
    assert {"DynamoDBReadPolicy": {"TableName": {"Ref": "ConfigTable"}}} in policies
    assert "AIGW_LOG_RETENTION_DAYS" in ingest["Environment"]["Variables"]


def test_alarms_cover_the_issue_and_notify_the_optional_topic(template: dict[str, Any]) -> None:
    alarms = resources_of(template, "AWS::CloudWatch::Alarm")
    assert set(alarms) >= {"ErrorRateAlarm", "Upstream5xxAlarm", "IngestErrorsAlarm",
                           "IngestDeadLetterAlarm", "ThrottlesAlarm"}
    for name, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == {"Fn::If": [
            "HasAlarmEmail", [{"Ref": "AlarmTopic"}], {"Ref": "AWS::NoValue"}]}, name
    assert template["Resources"]["AlarmTopic"]["Condition"] == "HasAlarmEmail"
    assert template["Parameters"]["AlarmEmail"]["Default"] == ""


def test_request_metrics_come_from_both_data_plane_groups(template: dict[str, Any]) -> None:
    filters = resources_of(template, "AWS::Logs::MetricFilter").values()
    seen = {(f["Properties"]["LogGroupName"]["Ref"],
             f["Properties"]["MetricTransformations"][0]["MetricName"]) for f in filters}
    assert seen == {(g, m) for g in DATA_PLANE_GROUPS for m in ("Requests", "Errors",
                                                                "Status5xx")}
    assert "Dashboard" in template["Resources"]
