#!/usr/bin/python3
"""Reachability probes of the first-boot VM test, shared by guests (probing their peers)
and the host (probing as the stranger and the operator inside the test's namespace).

Each target is {"host", "proto": "tcp"|"udp", "port"}; each result adds "state":
- open: TCP connect succeeded, or UDP got a reply (the stand-in k3s answers on 8472);
- closed: the host answered with a reset or ICMP port unreachable (nothing listens);
- filtered: no answer before the timeout (UFW's default incoming policy drops).

CLI: probe.py [--source ADDR] [--timeout S] TARGETS_JSON  ->  results as JSON on stdout.
"""
import errno
import json
import socket
import sys
import threading


def probe_one(target, source=None, timeout=2.0, attempts=3):
    proto, host, port = target['proto'], target['host'], int(target['port'])
    state, detail = 'filtered', ''
    for _ in range(attempts):
        kind = socket.SOCK_STREAM if proto == 'tcp' else socket.SOCK_DGRAM
        s = socket.socket(socket.AF_INET, kind)
        s.settimeout(timeout)
        try:
            if source:
                s.bind((source, 0))
            s.connect((host, port))
            if proto == 'udp':
                s.send(b'probe')
                s.recv(512)
            return dict(target, state='open', detail='')
        except socket.timeout:
            state, detail = 'filtered', 'timeout'
        except OSError as e:
            if e.errno in (errno.ECONNREFUSED,):
                return dict(target, state='closed', detail=str(e))
            # EHOSTUNREACH and the like: the network, not the port, said no.
            state, detail = 'filtered', str(e)
        finally:
            s.close()
    return dict(target, state=state, detail=detail)


def probe_all(targets, source=None, timeout=2.0, attempts=3):
    """Probes all targets at once: a dropped port costs its timeout once, not once per port."""
    results = [None] * len(targets)

    def work(i):
        results[i] = probe_one(targets[i], source, timeout, attempts)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(targets))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def main(argv):
    source, timeout = None, 2.0
    args = list(argv)
    while args and args[0].startswith('--'):
        flag = args.pop(0)
        if flag == '--source':
            source = args.pop(0)
        elif flag == '--timeout':
            timeout = float(args.pop(0))
        else:
            raise SystemExit('unknown flag ' + flag)
    if len(args) != 1:
        raise SystemExit(__doc__)
    json.dump(probe_all(json.loads(args[0]), source, timeout), sys.stdout)
    sys.stdout.write('\n')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
