"""What a stage playbook reports becomes a stage outcome with per-user verifications."""

from __future__ import annotations

from sovmigrate.run.options import RunOptions
from sovmigrate.run.playbook import _event_mode
from sovmigrate.run.recorder import outcome_from


def test_users_become_verifications() -> None:
    out = outcome_from(
        "capture",
        {
            "users": [
                {"user": "alice", "verified": True, "files": 12, "bytes": 3400, "snapshot": "ab12"},
                {"name": "bob", "verified": "yes"},  # only a real boolean true counts as verified
            ]
        },
    )
    assert out.ok
    assert [(u.user, u.verified, u.files) for u in out.users or ()] == [
        ("alice", True, 12),
        ("bob", False, 0),
    ]
    assert out.users and out.users[0].detail == {"files": 12, "bytes": 3400, "snapshot": "ab12"}


def test_no_report_means_no_users() -> None:
    out = outcome_from("capture", None)
    assert out.ok and out.users is None  # the capture gate then refuses: nothing is verified


def test_failing_verdict() -> None:
    out = outcome_from("postcheck", {"verdict": "fail", "reason": "gdm not running"})
    assert not out.ok and out.reason == "gdm not running"


def test_event_data_mode_at_scale() -> None:
    opts = RunOptions()
    assert _event_mode("configure", 500, opts)["only_failed_event_data"] is True
    assert _event_mode("capture", 500, opts)["only_failed_event_data"] is False
    assert _event_mode("configure", 20, opts)["only_failed_event_data"] is False
