"""user_state_capture on the lab machine: one verified snapshot per user, manifests in the store."""

import json

ENGINE = "PYTHONPATH=/opt/sovmigrate/lib/sovmigrate-engine.zip /usr/bin/python3 -m "


def test_manifest_verified_and_kept_in_the_store(host):
    manifests = json.loads(host.file("/var/lib/sovmigrate/capture-manifest.json").content_string)
    assert manifests and all(m["verified"] for m in manifests)
    pw = "/root/molecule.pw"
    host.run(f"printf 'molecule store password' > {pw}")
    listed = host.run(
        f"{ENGINE}sovmigrate.userstate.restore_main list --store /srv/store "
        f"--password-file {pw} --host rstcap"
    )
    host.run(f"rm -f {pw}")
    assert listed.rc == 0, listed.stderr
    assert {u["user"] for u in json.loads(listed.stdout)} == {
        m["sid"] or "drive" for m in manifests
    }


def test_windows_volume_untouched_and_unmounted(host):
    assert "/srv/windows.img" not in host.file("/proc/mounts").content_string
