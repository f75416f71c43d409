"""Per-host results from runner events, as ansible-runner hands them over (real shapes)."""

from __future__ import annotations

from sovmigrate.run.events import MARKER, EventCollector, HostStatus


def _ev(event: str, host: str | None = None, stdout: str = "", **data: object) -> dict:  # type: ignore[type-arg]
    event_data = dict(data)
    if host is not None:
        event_data["host"] = host
    return {"event": event, "stdout": stdout, "event_data": event_data, "uuid": "u", "counter": 1}


def test_hosts_finish_when_they_reach_the_marker() -> None:
    seen: list[tuple[str, str]] = []
    collector = EventCollector.for_hosts(["a", "b", "c"], lambda h: seen.append((h.host, h.status)))
    result = {"users": [{"user": "alice", "verified": True}]}
    events = [
        _ev("playbook_on_play_start", name="Stage capture"),
        _ev("runner_on_start", "a"),
        _ev("runner_on_ok", "a", res={"ansible_facts": {"sovmigrate_result": result}}),
        _ev("runner_on_failed", "b", task="Copy", res={"msg": "disk full"}),
        _ev("runner_on_unreachable", "c", res={"msg": "ssh: timeout"}),
        _ev("runner_on_ok", "a", res={"msg": [MARKER, "a"]}),
    ]
    assert all(collector(e) is True for e in events)  # True: artifacts keep every event
    assert collector.hosts["a"] == HostStatus("a", "ok", "", result)
    assert collector.hosts["b"].status == "failing"
    assert collector.hosts["b"].reason == "Copy: disk full"
    assert collector.hosts["c"].status == "unreachable"
    assert ("a", "ok") in seen and seen.index(("a", "running")) < seen.index(("a", "ok"))


def test_ignored_failure_and_rescue_do_not_fail_the_host() -> None:
    collector = EventCollector.for_hosts(["a"])
    collector(_ev("runner_on_failed", "a", ignore_errors=True, res={"msg": "x"}))
    assert collector.hosts["a"].status == "pending"
    collector(_ev("runner_on_failed", "a", res={"msg": "rescued later"}))
    collector(_ev("runner_on_ok", "a", res={"msg": [MARKER, "a"]}))
    assert collector.hosts["a"].status == "ok"


def test_marker_found_without_event_data() -> None:
    # only_failed_event_data: ok events carry no data, only the stdout text (JSON, colours).
    collector = EventCollector.for_hosts(["pc-01.lyon", "pc-02.lyon", "pc-03.lyon"])
    stdout = (
        f'\x1b[0;32mok: [pc-01.lyon] => {{\n    "msg": [\n        "{MARKER}",\n'
        '        "pc-01.lyon",\n        "pc-03.lyon"\n    ]\n}\x1b[0m'
    )
    collector({"event": "runner_on_ok", "event_data": {}, "stdout": stdout})
    assert [h.status for h in collector.hosts.values()] == ["ok", "pending", "ok"]


def test_results_from_set_stats() -> None:
    collector = EventCollector.for_hosts(["a"])
    collector(
        _ev(
            "playbook_on_stats",
            artifact_data={"sovmigrate_results": {"a": {"verdict": "pass"}, "zz": {}}},
        )
    )
    assert collector.hosts["a"].result == {"verdict": "pass"}


def test_unknown_hosts_are_ignored() -> None:
    collector = EventCollector.for_hosts(["a"])
    collector(_ev("runner_on_failed", "localhost", res={"msg": "x"}))
    assert list(collector.hosts) == ["a"] and collector.hosts["a"].status == "pending"
