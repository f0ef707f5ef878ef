#!/usr/bin/python3
"""One real OpenDHT 2.4.12 node (python3-opendht DhtRunner), driven by JSON lines.

The TypeScript interop harness starts this script, writes one JSON request per line on stdin
and reads one JSON line per request on stdout:

    request  {"id": 1, "op": "get", "key": "<40 hex>", "timeout": 5}
    answer   {"id": 1, "ok": true, "result": ...}   or   {"id": 1, "ok": false, "error": "..."}
    event    {"event": "value", "tag": "...", "expired": false, "value": {...}}   (listen callbacks)

Every blocking operation waits at most its `timeout` (seconds). End of stdin exits the process,
so the node never outlives the test that started it (tests normally kill it by pid).
"""

import json
import os
import sys
import threading
import time

import opendht as dht

out_lock = threading.Lock()


def emit(obj):
    line = json.dumps(obj, separators=(",", ":"))
    with out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def describe(v):
    """A value as JSON. The bindings expose no type field, so certificate/signed flags are read
    from the value's printable form (and `owner` is only touched for signed values: reading it
    on an unsigned value dereferences a null key and crashes the 2.4.12 bindings)."""
    text = str(v)
    signed = " signed (v" in text
    d = {
        "id": str(v.id),
        "data": bytes(v.data).hex(),
        "userType": v.user_type,
        "size": v.size,
        "certificate": text.endswith(" Certificate]"),
        "signed": signed,
        "text": text[:300],
    }
    if signed:
        d["owner"] = str(v.owner)
    return d


def key_of(req):
    return dht.InfoHash(req["key"].encode())


class Driver:
    def __init__(self):
        self.node = None
        self.identity = None

    def op_start(self, req):
        self.node = dht.DhtRunner()
        config = dht.DhtConfig()
        if req.get("network"):
            config.setNetwork(int(req["network"]))
        if req.get("identity"):
            self.identity = dht.Identity.generate("interop", dht.Identity(), int(req.get("bits", 2048)))
            config.setIdentity(self.identity)
        # Bootstrap entries are queued before run(), so the runner's first loop adds them all and
        # its first bootstrap pass pings every one. Added after run(), each entry schedules its own
        # pass, and OpenDHT 2.4's pass does nothing once either family is connecting: an entry
        # added a moment later (this thread preempted on a busy machine) is never pinged, e.g.
        # the node never joins our IPv6 address, or a node on another network id answers first.
        for host, port in req.get("bootstrap", []):
            self.node.bootstrap(host, str(port))
            # Tests stand in for a preempted thread with a pause between two entries.
            time.sleep(float(req.get("bootstrapPause", 0)))
        self.node.run(port=int(req["port"]), ipv4=req.get("bind4", "127.0.0.1"),
                      ipv6=req.get("bind6", "::1"), config=config)
        result = {"nodeId": self.node.getNodeId().decode(), "port": self.node.getBound(2).getPort()}
        if self.identity is not None:
            result["publicKeyId"] = str(self.identity.publickey.getId())
            result["certificate"] = bytes(self.identity.certificate).decode()
        return result

    def op_put(self, req):
        value = dht.Value(bytes.fromhex(req["data"]))
        if req.get("valueId"):
            value.id = int(req["valueId"])
        if req.get("userType"):
            value.user_type = req["userType"]
        done = threading.Event()
        outcome = {}

        def on_done(ok, nodes):
            outcome["ok"] = bool(ok)
            outcome["nodes"] = [str(n.getId()) for n in nodes]
            done.set()

        self.node.put(key_of(req), value, done_cb=on_done)
        if not done.wait(float(req.get("timeout", 10))):
            raise TimeoutError("put did not complete")
        outcome["valueId"] = str(value.id)
        return outcome

    def op_put_many(self, req):
        """`count` values of `size` bytes with ids firstId, firstId+1, ... at one key, all put at
        once (one DhtRunner search serves them); waits for every done callback."""
        count = int(req["count"])
        first = int(req["firstId"])
        size = int(req.get("size", 100))
        finished = threading.Semaphore(0)
        acked = []

        def on_done(ok, nodes):
            acked.append(bool(ok))
            finished.release()

        for i in range(count):
            value = dht.Value(bytes((i * 7 + j) & 0xFF for j in range(size)))
            value.id = first + i
            self.node.put(key_of(req), value, done_cb=on_done)
        deadline = time.monotonic() + float(req.get("timeout", 20))
        for _ in range(count):
            if not finished.acquire(timeout=max(0.0, deadline - time.monotonic())):
                raise TimeoutError("put_many: %d of %d puts completed" % (len(acked), count))
        return {"stored": sum(acked)}

    def op_get(self, req):
        done = threading.Event()
        values = []
        outcome = {}

        def on_value(v):
            values.append(describe(v))
            return True

        def on_done(ok, nodes):
            outcome["ok"] = bool(ok)
            outcome["nodes"] = [str(n.getId()) for n in nodes]
            done.set()

        self.node.get(key_of(req), get_cb=on_value, done_cb=on_done)
        if not done.wait(float(req.get("timeout", 10))):
            raise TimeoutError("get did not complete")
        outcome["values"] = values
        return outcome

    def op_listen(self, req):
        tag = req["tag"]

        def on_value(v, expired=False):
            emit({"event": "value", "tag": tag, "expired": bool(expired), "value": describe(v)})
            return True

        self.node.listen(key_of(req), on_value)
        return True

    def op_routing(self, req):
        return self.node.getRoutingTablesLog(int(req.get("family", 2)))

    def op_storage(self, req):
        return self.node.getStorageLog()


def serve(driver, req):
    try:
        handler = getattr(driver, "op_" + str(req.get("op")), None)
        if handler is None:
            raise ValueError("unknown op " + str(req.get("op")))
        emit({"id": req.get("id"), "ok": True, "result": handler(req)})
    except Exception as e:  # report every failure to the test, keep serving
        emit({"id": req.get("id"), "ok": False, "error": type(e).__name__ + ": " + str(e)})


# Operations that may wait on the network run in their own thread so that a slow get does not
# delay the others; start stays in order with everything else.
CONCURRENT = {"put", "put_many", "get"}


def main():
    driver = Driver()
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
        except ValueError as e:
            emit({"id": None, "ok": False, "error": "bad JSON: " + str(e)})
            continue
        if req.get("op") in CONCURRENT:
            threading.Thread(target=serve, args=(driver, req), daemon=True).start()
        else:
            serve(driver, req)
    # Skip interpreter teardown: the C++ runner's threads may still hold the GIL-less callbacks.
    os._exit(0)


if __name__ == "__main__":
    main()
