"""Browses mDNS for _wyoming._tcp.local. the way Home Assistant's zeroconf discovery does (python-zeroconf), on the
given interface address, for the given seconds (or until it is stopped). Prints one JSON line per change:
{"change": "added"|"removed", "name": ..., "addresses": [...], "port": ...}, flushed at once."""
import json
import sys
import time

from zeroconf import IPVersion, ServiceBrowser, ServiceStateChange, Zeroconf

SERVICE = "_wyoming._tcp.local."


def main():
    interface, seconds = sys.argv[1], float(sys.argv[2])
    zc = Zeroconf(interfaces=[interface], ip_version=IPVersion.V4Only)

    def changed(zeroconf, service_type, name, state_change):
        entry = {"change": "added" if state_change is ServiceStateChange.Added else
                 "removed" if state_change is ServiceStateChange.Removed else "updated", "name": name}
        if state_change is ServiceStateChange.Added:
            info = zeroconf.get_service_info(service_type, name, timeout=3000)
            if info is not None:
                entry["addresses"] = info.parsed_addresses()
                entry["port"] = info.port
        print(json.dumps(entry), flush=True)

    ServiceBrowser(zc, SERVICE, handlers=[changed])
    print(json.dumps({"change": "browsing"}), flush=True)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.1)
    zc.close()


if __name__ == "__main__":
    main()
