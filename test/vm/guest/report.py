#!/usr/bin/python3
"""First-boot report of the VM test, run inside the guest after cloud-final.service.

The image's honeydue-vm-report.service mounts the disk labelled hdprobe (this file and
probe.py) and runs this. It talks to the test over the second serial port, /dev/ttyS1:

- guest -> test: one JSON object per line, {"k": <key>, "v": <value>}; "ready" ends the
  facts gathered after first boot, "end" ends the report;
- test -> guest: one JSON command per line: {"cmd": "probe", "targets": [...]} probes
  peers (see probe.py), {"cmd": "stat", "paths": [...]} describes files, {"cmd": "verify",
  "paths": [...]} runs systemd-analyze verify on units, {"cmd": "metadata", ...} fetches the
  stand-in metadata service as root, as a non-root UID and from a stand-in pod, {"cmd": "end"}.

Values are short on purpose (outputs are cut to their tails): a report that a human can read
in the test's failure message, and that a parser can rely on.
"""
import hashlib
import json
import os
import subprocess
import sys
import time
import tty

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import probe  # noqa: E402  (beside this file on the hdprobe disk)

TTY = '/dev/ttyS1'
CONFIG = '/etc/rancher/k3s/config.yaml'
UNITS = ('k3s-install.service', 'k3s.service', 'metadata-guard.service', 'systemd-modules-load.service', 'cloud-final.service', 'ufw.service')
UNIT_PROPS = (
    'ActiveState', 'SubState', 'Result', 'ExecMainStatus', 'ExecMainCode', 'NRestarts',
    'ExecMainStartTimestampMonotonic', 'ExecMainExitTimestampMonotonic',
    'ActiveEnterTimestampMonotonic', 'InactiveExitTimestampMonotonic', 'InactiveEnterTimestampMonotonic',
)
IPVS_MODULES = ('ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_sh', 'nf_conntrack')
WEB_UID = 65532

fd = os.open(TTY, os.O_RDWR | os.O_NOCTTY)
# Raw: no echo of the test's commands back to it, no \n -> \r\n on the way out.
tty.setraw(fd)


def emit(key, value):
    os.write(fd, (json.dumps({'k': key, 'v': value}, separators=(',', ':'), default=str) + '\n').encode())


def tail(text, lines=40, chars=4000):
    return '\n'.join(text.splitlines()[-lines:])[-chars:]


def run(argv, timeout=120):
    try:
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
        return {'rc': p.returncode, 'out': tail(p.stdout.decode(errors='replace'))}
    except Exception as e:  # a missing tool is a finding, not a crash of the report
        return {'rc': None, 'out': repr(e)}


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except Exception as e:
        return {'error': repr(e)}


def file_facts(path, digest=True):
    try:
        st = os.stat(path)
    except OSError:
        return None
    facts = {'mode': '%04o' % (st.st_mode & 0o7777), 'uid': st.st_uid, 'gid': st.st_gid, 'size': st.st_size}
    if digest and os.path.isfile(path):
        with open(path, 'rb') as f:
            facts['sha256'] = hashlib.sha256(f.read()).hexdigest()
    return facts


def unit_props(unit):
    out = subprocess.run(['systemctl', 'show', unit, '-p', ','.join(UNIT_PROPS)], stdout=subprocess.PIPE).stdout.decode()
    props = dict(line.split('=', 1) for line in out.splitlines() if '=' in line)
    return {k: (int(v) if v.isdigit() else v) for k, v in props.items()}


def settle_k3s(limit=600):
    """Waits until the K3s units have no start job left: active, failed, or given up."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        jobs = subprocess.run(['systemctl', 'list-jobs', '--no-legend'], stdout=subprocess.PIPE).stdout.decode()
        states = [unit_props(u)['ActiveState'] for u in ('k3s-install.service', 'k3s.service')]
        if 'k3s' not in jobs and not {'activating', 'deactivating', 'reloading'} & set(states):
            return True
        time.sleep(2)
    return False


def unprivileged_bind(port):
    """Binds port as the Traefik UID, beside the stand-in's own listener (same UID, SO_REUSEPORT)."""
    code = (
        'import socket;s=socket.socket();'
        's.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);'
        's.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEPORT,1);'
        's.bind(("0.0.0.0",%d));s.listen(1);print("ok")' % port
    )
    r = run(['setpriv', '--reuid=%d' % WEB_UID, '--regid=%d' % WEB_UID, '--clear-groups', 'python3', '-c', code])
    return 'ok' if r['rc'] == 0 and r['out'].strip() == 'ok' else r['out'].strip().splitlines()[-1:]


def k3s_config():
    facts = {'file': file_facts(CONFIG, digest=False)}
    try:
        import yaml
        with open(CONFIG) as f:
            facts['parsed'] = yaml.safe_load(f)
    except Exception as e:
        facts['error'] = repr(e)
    conf = (facts.get('parsed') or {}).get('flannel-conf') if isinstance(facts.get('parsed'), dict) else None
    if conf:
        facts['flannel'] = {'path': conf, 'file': file_facts(conf, digest=False), 'json': read_json(conf)}
    return facts


def ufw_facts():
    tuples = {}
    for name in ('user.rules', 'user6.rules'):
        try:
            with open('/etc/ufw/' + name) as f:
                tuples[name] = [line.strip()[len('### tuple ###'):].strip() for line in f if line.startswith('### tuple ###')]
        except OSError as e:
            tuples[name] = ['unreadable: %s' % e]
    return {'status': run(['ufw', 'status']), 'tuples': tuples}


def listening():
    out = subprocess.run(['ss', '-H', '-l', '-n', '-t', '-u'], stdout=subprocess.PIPE).stdout.decode()
    found = set()
    for line in out.splitlines():
        cols = line.split()
        if len(cols) >= 5:
            found.add('%s:%s' % (cols[0], cols[4].rsplit(':', 1)[-1]))
    return sorted(found)


def log_problems():
    problems = []
    try:
        with open('/var/log/cloud-init.log', errors='replace') as f:
            for line in f:
                if '[WARNING]' in line or '[ERROR]' in line or '[CRITICAL]' in line or 'Traceback' in line:
                    problems.append(line.strip()[:300])
    except OSError as e:
        problems.append('cannot read cloud-init.log: %s' % e)
    return problems[:30]


def find_copies(sha256, size, roots):
    """Files under roots with this content: where a downloaded binary ended up, and its mode."""
    found = {}
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            for name in filenames:
                p = os.path.join(dirpath, name)
                try:
                    if os.path.isfile(p) and not os.path.islink(p) and os.path.getsize(p) == size:
                        facts = file_facts(p)
                        if facts and facts.get('sha256') == sha256:
                            found[p] = facts
                except OSError:
                    pass
    return found


def guard_rules():
    """The node's rules in the tables the metadata guard writes, as iptables -S prints them."""
    return {t: run(['iptables', '-w', '-t', t, '-S'])['out'].splitlines() for t in ('raw', 'mangle')}


def verify_units(paths):
    """systemd-analyze verify on the given unit files. --recursive-errors=no: the exit status
    speaks for these units only; warnings about other units still show in the output."""
    try:
        p = subprocess.run(['systemd-analyze', 'verify', '--man=no', '--recursive-errors=no'] + list(paths),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
        return {'rc': p.returncode, 'lines': p.stdout.decode(errors='replace').splitlines()[:200]}
    except Exception as e:
        return {'rc': None, 'lines': [repr(e)]}


def metadata_reach(cmd):
    """Fetches url (on the metadata address) and control_url (the same server on another
    address) as root, as UID cmd['uid'], and from a network namespace behind the node that
    stands in for a pod: a veth named like flannel's bridge, the node forwarding and
    masquerading its traffic as K3s and flannel do."""
    pod = cmd['pod']
    ns = 'hdpod'

    def curl(url, prefix=()):
        return run(list(prefix) + ['curl', '--silent', '--show-error', '--max-time', str(cmd['timeout']), url], timeout=60)

    as_uid = ['setpriv', '--reuid=%d' % cmd['uid'], '--regid=%d' % cmd['uid'], '--clear-groups']
    setup = [
        ['ip', 'netns', 'add', ns],
        ['ip', 'link', 'add', pod['bridge'], 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns],
        ['ip', 'address', 'add', '%s/%d' % (pod['node'], pod['prefix']), 'dev', pod['bridge']],
        ['ip', 'link', 'set', pod['bridge'], 'up'],
        ['ip', '-n', ns, 'link', 'set', 'lo', 'up'],
        ['ip', '-n', ns, 'address', 'add', '%s/%d' % (pod['pod'], pod['prefix']), 'dev', 'eth0'],
        ['ip', '-n', ns, 'link', 'set', 'eth0', 'up'],
        ['ip', '-n', ns, 'route', 'add', 'default', 'via', pod['node']],
        ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1'],
        ['iptables', '-w', '-t', 'nat', '-A', 'POSTROUTING', '-s', pod['cidr'], '!', '-o', pod['bridge'], '-j', 'MASQUERADE'],
    ]
    failed = [r for r in (run(argv) for argv in setup) if r['rc'] != 0]
    in_pod = ['ip', 'netns', 'exec', ns]
    return {
        'setup-failures': failed,
        'root': curl(cmd['url']),
        'uid': curl(cmd['url'], as_uid),
        'uid-control': curl(cmd['control_url'], as_uid),
        'pod': curl(cmd['url'], in_pod),
        'pod-control': curl(cmd['control_url'], in_pod),
        'rules': guard_rules(),
    }


def read_text(path, limit=16384):
    try:
        with open(path, errors='replace') as f:
            return f.read(limit)
    except OSError:
        return None


def uptime():
    with open('/proc/uptime') as f:
        return float(f.read().split()[0])


def read_commands():
    buf = b''
    while True:
        chunk = os.read(fd, 4096)
        if not chunk:
            time.sleep(0.2)
            continue
        buf += chunk
        while b'\n' in buf:
            line, buf = buf.split(b'\n', 1)
            line = line.strip()
            if line:
                try:
                    yield json.loads(line)
                except ValueError:
                    emit('bad-command', line[:200].decode(errors='replace'))


def main():
    emit('started', {'uptime': uptime()})
    wait = run(['cloud-init', 'status', '--wait'], timeout=1800)
    final = unit_props('cloud-final.service')
    emit('cloud-init-done', {
        'uptime': uptime(),
        # When cloud-final's process exited, successful or not (seconds since kernel start).
        'final_s': final.get('ExecMainExitTimestampMonotonic', 0) / 1e6,
        'status_rc': wait['rc'],
    })
    emit('cloud-init', {
        'status': run(['cloud-init', 'status', '--long']),
        'result': read_json('/run/cloud-init/result.json'),
        'stage_errors': {k: v.get('errors') for k, v in read_json('/run/cloud-init/status.json').get('v1', {}).items() if isinstance(v, dict)},
        'log_problems': log_problems(),
        'output_tail': tail(open('/var/log/cloud-init-output.log', errors='replace').read(), 30, 3000)
        if os.path.exists('/var/log/cloud-init-output.log') else None,
    })
    emit('schema', run(['cloud-init', 'schema', '--system']))
    emit('settled', settle_k3s())
    emit('units', {u: unit_props(u) for u in UNITS})
    emit('unit-status', run(['systemctl', 'status', '--no-pager', '-l', '-n', '15', 'k3s-install.service', 'k3s.service'])['out'])
    emit('install-journal', run(['journalctl', '-b', '-o', 'cat', '--no-pager', '-u', 'k3s-install.service'])['out'])
    emit('k3s-binary', file_facts('/usr/local/bin/k3s'))
    emit('standin', read_json('/var/lib/standin/start.json') if os.path.exists('/var/lib/standin/start.json') else None)
    with open('/proc/sys/net/ipv4/ip_unprivileged_port_start') as f:
        emit('sysctl', {'net.ipv4.ip_unprivileged_port_start': f.read().strip()})
    emit('unprivileged-bind', {'80': unprivileged_bind(80)})
    with open('/proc/modules') as f:
        loaded = {line.split()[0] for line in f}
    emit('modules', {m: m in loaded for m in IPVS_MODULES})
    emit('k3s-config', k3s_config())
    emit('ufw', ufw_facts())
    emit('listening', listening())
    emit('ready', {'uptime': uptime()})
    for cmd in read_commands():
        if cmd.get('cmd') == 'probe':
            emit('probes', probe.probe_all(cmd['targets'], timeout=float(cmd.get('timeout', 2))))
        elif cmd.get('cmd') == 'find':
            emit('found', find_copies(cmd['sha256'], int(cmd['size']), cmd['roots']))
        elif cmd.get('cmd') == 'cat':
            emit('cat', {p: read_text(p) for p in cmd['paths']})
        elif cmd.get('cmd') == 'verify':
            emit('verify', verify_units(cmd['paths']))
        elif cmd.get('cmd') == 'metadata':
            emit('metadata', metadata_reach(cmd))
        elif cmd.get('cmd') == 'stat':
            emit('stat', {p: file_facts(p) for p in cmd['paths']})
        elif cmd.get('cmd') == 'end':
            emit('end', {'uptime': uptime()})
            return 0
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main())
    except Exception as e:
        emit('crash', repr(e))
        raise
