#!/usr/bin/env python3
"""Pending (not run by CI until the fix lands): a `request fulfil` of an
access request killed after its copy is written and before the request is
marked fulfilled cannot be run again as it was.

  pending_fulfil_copy.py --bin PATH/TO/casevault [--keep DIR]

cv_request_fulfil (core/rights/rights.c) writes the communication copy
first (fulfil_copy: the zip is renamed into place at --out) and only then
takes the writer lock for the request's own transaction. The script holds
the writer lock (flock on ARCHIVE/lock, as another writer would), starts
the fulfilment, waits for the copy to appear at --out, kills the command
with SIGKILL, releases the lock and runs the same command again.

Found by tests/crash/crash_test.py (KNOWN["fulfil-copy-exists"]): the
request stays decided-not-fulfilled (nothing lost), but the re-run exits 1
with "FILE.zip already exists; refusing to overwrite it"; the DPO has to
pick another --out or remove the copy by hand. Exits 0 once the re-run
succeeds (then delete the KNOWN entry in crash_test.py and this file), 1
while the defect is there."""
import argparse
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crash_test as ct  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--keep")
    a = ap.parse_args()
    args = argparse.Namespace(bin=os.path.abspath(a.bin), kills=0, seed=1, keep=a.keep, check_every=5,
                              mix=ct.DEFAULT_MIX)
    h = ct.Harness(args)
    shutil.rmtree(h.arch, ignore_errors=True)
    assert h.cv("keygen", h.key).returncode == 0 and h.cv("init").returncode == 0
    fu = ct.Fulfil()
    while True:
        req = fu.new_request(h)
        if req["type"] == "access" and req["grant"]:
            break
    lock = open(os.path.join(h.arch, "lock"), "a+")
    fcntl.flock(lock, fcntl.LOCK_EX)
    p = subprocess.Popen([args.bin, *req["argv"]], env=dict(h.env, CASEVAULT_USER="dpo"),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.time()
    while not os.path.exists(req["out"]) and p.poll() is None and time.time() - t0 < 60:
        time.sleep(0.005)
    time.sleep(0.2)
    p.send_signal(signal.SIGKILL)
    p.wait()
    fcntl.flock(lock, fcntl.LOCK_UN)
    state = h.js("request", "show", req["id"], user="dpo")["state"]
    print(f"request {req['id']}: killed while waiting for the writer lock; copy at --out: "
          f"{os.path.exists(req['out'])}; request state: {state}")
    r = h.cv(*req["argv"], user="dpo")
    print(f"re-run `casevault {' '.join(req['argv'])}`: exit {r.returncode} {r.stderr.decode().strip()}")
    after = h.js("request", "show", req["id"], user="dpo")["state"]
    if not a.keep:
        shutil.rmtree(h.work, ignore_errors=True)
    sys.exit(0 if r.returncode == 0 and after == "fulfilled" else 1)


if __name__ == "__main__":
    main()
