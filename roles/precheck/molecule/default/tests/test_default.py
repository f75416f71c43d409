"""precheck on the lab machine: the engine is there and the checks pass on the clean disk."""

import json


def test_checks_pass_on_the_clean_fixture_disk(host):
    run = host.run(
        "PYTHONPATH=/opt/sovmigrate/lib/sovmigrate-engine.zip /usr/bin/python3 -m "
        "sovmigrate.userstate.restore_main precheck /srv/windows.img --store /srv/store"
    )
    assert run.rc == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["ok"] and out["data_bytes"] > 0
    assert {c["name"] for c in out["checks"]} >= {"volume", "data", "ram", "disk"}


def test_no_password_file_left_behind(host):
    assert host.run("ls /tmp | grep -c sovmigrate-pw- || true").stdout.strip() == "0"
