# Kernel TCP keep-alive observer for bench/detection/keepalive.ts, run in namespace A: opens N connections from
# SOURCE to the echo peer at PEER:PORT with the given keep-alive settings set on each socket exactly (setsockopt;
# Node cannot set TCP_KEEPINTVL/TCP_KEEPCNT), sends one line on each at a random moment, and reports every byte
# received and the moment each socket fails, as one JSON object per line on stdout ({"ready": true} once all are
# connected).
#
#   python3 bench/detection/observer.py N IDLE_S INTERVAL_S COUNT SOURCE PEER PORT
import json
import random
import socket
import sys
import threading
import time


def say(message):
    print(json.dumps(message), flush=True)


def run(i, s):
    time.sleep(random.random() * 6)
    s.sendall(b"hello\n")
    while True:
        try:
            data = s.recv(100)
        except OSError as e:
            say({"conn": i, "errorAt": time.time() * 1000, "code": e.errno})
            return
        if not data:
            say({"conn": i, "errorAt": time.time() * 1000, "code": "eof"})
            return
        say({"conn": i, "byteAt": time.time() * 1000})


def main():
    n, idle_s, interval_s, count = (int(a) for a in sys.argv[1:5])
    source, peer, port = sys.argv[5], sys.argv[6], int(sys.argv[7])
    socks = []
    for _ in range(n):
        s = socket.create_connection((peer, port), source_address=(source, 0))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, idle_s)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, interval_s)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, count)
        socks.append(s)
    for i, s in enumerate(socks):
        threading.Thread(target=run, args=(i, s), daemon=True).start()
    say({"ready": True})
    time.sleep(120)


if __name__ == "__main__":
    main()
