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


def test_windows_volume_unmounted_after_the_capture(host):
    # /srv/windows.img itself is the lab's bind mount; the capture's ntfs-3g mount must be gone.
    mounts = host.file("/proc/mounts").content_string.splitlines()
    assert not [m for m in mounts if m.split()[2] == "fuseblk" or "sovmigrate-ro-" in m]
