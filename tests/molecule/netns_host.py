"""A real Linux host for the molecule scenario linux_host: sshd in a Debian tree, in a network namespace of its own.

Test infrastructure only (root needed). Three steps, each safe to repeat:

  python tests/molecule/netns_host.py rootfs CACHE_DIR             # build or reuse CACHE_DIR/rootfs-bookworm.tar
  python tests/molecule/netns_host.py up STATE_DIR TARBALL NAME    # start the host, print its state as JSON
  python tests/molecule/netns_host.py down STATE_DIR               # stop it and delete what `up` made

`up` extracts the tree into STATE_DIR/root, leaves sshd unprepared for the push install (PasswordAuthentication no,
the sftp subsystem commented out, root with no password), lets the controller in with a key of its own, and runs
`sshd -D` chrooted into the tree inside new network, UTS, mount and PID namespaces. Each thing it makes is
written to STATE_DIR/state.json before the next is made, and `down` deletes only what that file names, so a
half-failed `up` is cleaned up too. The /proc, /sys and /dev/pts mounts exist only in the private mount
namespace: they disappear with its last process and are never seen by the host.
"""

import fcntl
import glob
import hashlib
import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

SUITE = "bookworm"
# iproute2: Ansible reads the host's addresses with `ip`, as it does on any real server.
PACKAGES = "openssh-server,python3,ca-certificates,iproute2"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
SUBNET_BASE = ipaddress.ip_network("10.203.0.0/16")


def run(*argv, check=True, **kwargs):
    return subprocess.run([str(a) for a in argv], check=check, text=True, capture_output=True, **kwargs)


# -- the Debian tree ------------------------------------------------------------------------------

def apt_mirror(suite=SUITE):
    """The Debian mirror apt on this machine uses for SUITE (deb822 .sources or one-line .list files)."""
    if os.environ.get("AZMOVE_DEBIAN_MIRROR"):
        return os.environ["AZMOVE_DEBIAN_MIRROR"]
    files = ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")) + \
        sorted(glob.glob("/etc/apt/sources.list.d/*.sources"))
    for name in files:
        try:
            text = Path(name).read_text(encoding="utf-8")
        except OSError:
            continue
        if name.endswith(".sources"):
            for stanza in re.split(r"\n\s*\n", text):
                pairs = (line.partition(":") for line in stanza.splitlines() if line and not line.startswith("#"))
                fields = {k.strip().lower(): v.split() for k, _sep, v in pairs}
                if "deb" in fields.get("types", []) and suite in fields.get("suites", []) and "main" in fields.get("components", []):
                    return fields["uris"][0].rstrip("/")
        else:
            for line in text.splitlines():
                words = re.sub(r"\[[^]]*\]", "", line).split()
                if len(words) >= 4 and words[0] == "deb" and words[2] == suite and "main" in words[3:]:
                    return words[1].rstrip("/")
    return DEFAULT_MIRROR


def mounts_under(path):
    """Mount points at or below PATH in this mount namespace, deepest first."""
    path = os.path.realpath(path)
    found = []
    with open("/proc/self/mountinfo", encoding="utf-8") as mountinfo:
        for line in mountinfo:
            point = line.split()[4].encode().decode("unicode_escape")
            if point == path or point.startswith(path + "/"):
                found.append(point)
    return sorted(found, key=len, reverse=True)


def remove_tree(path):
    """Delete a tree, refusing while anything is mounted in it (debootstrap mounts /proc and /sys)."""
    if not os.path.lexists(path):
        return
    for point in mounts_under(path):
        run("umount", point, check=False)
    for point in mounts_under(path):
        run("umount", "-l", point, check=False)
    left = mounts_under(path)
    if left:
        raise SystemExit("refusing to delete %s: still mounted there: %s" % (path, ", ".join(left)))
    shutil.rmtree(path)


def rootfs(cache_dir):
    cache = Path(cache_dir).resolve()
    cache.mkdir(parents=True, exist_ok=True)
    tarball = cache / ("rootfs-%s.tar" % SUITE)
    # Other checkouts' runs may build at the same moment: one builds, the others wait and reuse it.
    with open(cache / ".rootfs.lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if tarball.exists():
            print(json.dumps({"tarball": str(tarball), "built": False}))
            return
        if not shutil.which("debootstrap"):
            raise SystemExit("debootstrap is not installed (make molecule installs it: apt-get install debootstrap)")
        tree = cache / ("rootfs-%s.build" % SUITE)
        remove_tree(tree)
        mirror = apt_mirror()
        started = time.monotonic()
        done = run("debootstrap", "--variant=minbase", "--include=" + PACKAGES, SUITE, tree, mirror, check=False)
        if done.returncode != 0:
            log = tree / "debootstrap" / "debootstrap.log"
            tail = log.read_text(encoding="utf-8", errors="replace")[-3000:] if log.exists() else ""
            remove_tree(tree)
            raise SystemExit("debootstrap %s from %s failed:\n%s\n%s" % (SUITE, mirror, done.stdout[-3000:] + done.stderr[-3000:], tail))
        # Nothing in the cache that belongs to this machine.
        for name in ("etc/hostname", "etc/resolv.conf"):
            if (tree / name).is_file():
                (tree / name).unlink()
        shutil.rmtree(tree / "var/cache/apt/archives", ignore_errors=True)
        (tree / "var/cache/apt/archives/partial").mkdir(parents=True, exist_ok=True)
        partial = tarball.with_suffix(".tar.partial")
        run("tar", "--numeric-owner", "-C", tree, "-cf", partial, ".")
        partial.rename(tarball)
        remove_tree(tree)
        print(json.dumps({"tarball": str(tarball), "built": True, "mirror": mirror, "seconds": round(time.monotonic() - started)}))


# -- the host -------------------------------------------------------------------------------------

class State:
    """STATE_DIR/state.json, rewritten after each thing `up` makes."""

    def __init__(self, state_dir):
        self.dir = Path(state_dir).resolve()
        self.path = self.dir / "state.json"
        self.data = json.loads(self.path.read_text(encoding="utf-8")) if self.path.exists() else {}

    def record(self, **values):
        self.data.update(values)
        partial = self.path.with_suffix(".partial")
        partial.write_text(json.dumps(self.data, indent=2), encoding="utf-8")
        partial.rename(self.path)


def used_networks():
    nets = []
    for argv in (("ip", "-j", "-4", "route", "show", "table", "all"), ("ip", "-j", "-4", "addr", "show")):
        for item in json.loads(run(*argv).stdout or "[]"):
            if "dst" in item and item["dst"] not in ("default", "broadcast"):
                nets.append(ipaddress.ip_network(item["dst"], strict=False))
            for addr in item.get("addr_info", []):
                nets.append(ipaddress.ip_network("%s/%s" % (addr["local"], addr["prefixlen"]), strict=False))
    return nets


def free_subnet(seed):
    used = used_networks()
    subnets = list(SUBNET_BASE.subnets(new_prefix=30))
    for i in range(len(subnets)):
        candidate = subnets[(seed + i) % len(subnets)]
        if not any(candidate.overlaps(net) for net in used if net.prefixlen > 0):
            return candidate
    raise SystemExit("no free /30 in %s" % SUBNET_BASE)


def netns_exists(name):
    return name in run("ip", "netns", "list").stdout.split()


def link_exists(name):
    return run("ip", "link", "show", "dev", name, check=False).returncode == 0


def prepare_tree(root, hostname, controller_pub):
    """The host as the push install would find it before anyone prepared it."""
    config = root / "etc/ssh/sshd_config"
    lines = []
    for line in config.read_text(encoding="utf-8").splitlines():
        if re.match(r"\s*#?\s*PasswordAuthentication\b", line):
            line = "PasswordAuthentication no"
        elif re.match(r"\s*Subsystem\s+sftp\b", line):
            line = "#" + line.strip()  # as some distributions ship it: Microsoft's push-install docs say to uncomment it
        lines.append(line)
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # As Ubuntu's cloud images do: a drop-in, included near the top of sshd_config, that turns passwords off.
    (root / "etc/ssh/sshd_config.d/60-cloudimg-settings.conf").write_text("PasswordAuthentication no\n", encoding="utf-8")
    (root / "etc/hostname").write_text(hostname + "\n", encoding="utf-8")
    # Debian's own layout: the host name on 127.0.1.1, which is what the push install prerequisites fix.
    (root / "etc/hosts").write_text(
        "127.0.0.1\tlocalhost\n127.0.1.1\t%s\n\n::1\tlocalhost ip6-localhost ip6-loopback\n"
        "ff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n" % hostname, encoding="utf-8")
    ssh_dir = root / "root/.ssh"
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    (ssh_dir / "authorized_keys").write_text(controller_pub, encoding="utf-8")
    os.chmod(ssh_dir / "authorized_keys", 0o600)
    (root / "run/sshd").mkdir(mode=0o755, parents=True, exist_ok=True)
    (root / "root/.ansible/tmp").mkdir(mode=0o700, parents=True, exist_ok=True)  # Ansible's remote_tmp, as after any earlier run
    # /dev/pts is a private devpts instance; ptmx must point into it.
    ptmx = root / "dev/ptmx"
    if ptmx.exists() or ptmx.is_symlink():
        ptmx.unlink()
    ptmx.symlink_to("pts/ptmx")
    (root / "dev/pts").mkdir(exist_ok=True)


# Runs as PID 1 of the new PID namespace, then becomes sshd (so it stays PID 1 and reaps the sessions).
INIT = """
hostname "$1"
mount -t proc proc "$2/proc"
mount -t sysfs sysfs "$2/sys"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts "$2/dev/pts"
exec chroot "$2" /usr/sbin/sshd -D -e
"""


def keypair(path, comment):
    if not path.exists():
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path)
    return path.with_suffix(".pub").read_text(encoding="utf-8")


def wait_for_ssh(address, process, log, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise SystemExit("sshd stopped (exit %s):\n%s" % (process.returncode, log.read_text(encoding="utf-8", errors="replace")[-3000:]))
        try:
            with socket.create_connection((address, 22), timeout=2) as sock:
                if sock.recv(64).startswith(b"SSH-"):
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("sshd did not answer on %s:22 within %ss:\n%s" % (address, timeout, log.read_text(encoding="utf-8", errors="replace")[-3000:]))


def up(state_dir, tarball, hostname):
    state = State(state_dir)
    state.dir.mkdir(parents=True, exist_ok=True)
    if state.data.get("ready") and netns_exists(state.data["netns"]):
        wait_for_ssh(state.data["address"], None, state.dir / "sshd.log")
        print(json.dumps(state.data))
        return
    if state.data:
        down(state_dir)
        state = State(state_dir)
    tag = os.getpid()
    root = state.dir / "root"
    state.record(root=str(root), hostname=hostname)
    root.mkdir()
    run("tar", "--numeric-owner", "-C", root, "-xpf", tarball)
    controller_key = state.dir / "controller_key"
    push_key = state.dir / "push_key"
    controller_pub = keypair(controller_key, "azmove-molecule-controller")
    push_pub = keypair(push_key, "azmove-molecule-push-install")
    prepare_tree(root, hostname, controller_pub)
    # What the role's state=absent must give back: these files byte for byte, and root's password hash.
    original = {name: hashlib.sha1((root / name.lstrip("/")).read_bytes()).hexdigest()  # nosec - a checksum, as stat's
                for name in ("/etc/ssh/sshd_config", "/etc/hosts", "/root/.ssh/authorized_keys")}
    original["root_password_hash"] = next(line.split(":")[1] for line in (root / "etc/shadow").read_text(encoding="utf-8").splitlines()
                                          if line.startswith("root:"))
    state.record(controller_key=str(controller_key), push_key=str(push_key), push_public_key=push_pub.strip(), original=original)

    subnet = free_subnet(tag)
    host_ip, ns_ip = list(subnet.hosts())
    netns, veth, peer = "azmove-lnx-%d" % tag, "azmv%dh" % tag, "azmv%dn" % tag
    run("ip", "netns", "add", netns)
    state.record(netns=netns)
    run("ip", "link", "add", veth, "type", "veth", "peer", "name", peer)
    state.record(veth=veth)
    run("ip", "link", "set", "dev", peer, "netns", netns)
    run("ip", "-n", netns, "link", "set", "dev", peer, "name", "eth0")
    run("ip", "addr", "add", "%s/%d" % (host_ip, subnet.prefixlen), "dev", veth)
    run("ip", "link", "set", "dev", veth, "up")
    run("ip", "-n", netns, "addr", "add", "%s/%d" % (ns_ip, subnet.prefixlen), "dev", "eth0")
    run("ip", "-n", netns, "link", "set", "dev", "eth0", "up")
    run("ip", "-n", netns, "link", "set", "dev", "lo", "up")
    state.record(address=str(ns_ip), controller_address=str(host_ip), subnet=str(subnet))

    log = state.dir / "sshd.log"
    with open(log, "ab") as out:
        # --kill-child: if the launcher dies, PID 1 of the namespace dies, and with it every process in it.
        process = subprocess.Popen(  # pylint: disable=consider-using-with  # it must outlive this script
            ["ip", "netns", "exec", netns, "unshare", "--uts", "--mount", "--propagation", "private", "--pid", "--fork",
             "--kill-child", "sh", "-ec", INIT, "sh", hostname, str(root)],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    state.record(launcher_pid=process.pid)
    wait_for_ssh(str(ns_ip), process, log)
    state.record(ready=True)
    print(json.dumps(state.data))


def pids_in(netns):
    done = run("ip", "netns", "pids", netns, check=False)
    return [int(p) for p in done.stdout.split()] if done.returncode == 0 else []


def is_launcher(pid, netns):
    try:
        return netns in Path("/proc/%d/cmdline" % pid).read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return False


def down(state_dir):
    state = State(state_dir)
    data = state.data
    netns = data.get("netns")
    pid = data.get("launcher_pid")
    if netns and pid and is_launcher(pid, netns):
        os.kill(pid, signal.SIGTERM)
    if netns and netns_exists(netns):
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for target in pids_in(netns):
                try:
                    os.kill(target, sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + 5
            while pids_in(netns) and time.monotonic() < deadline:
                time.sleep(0.1)
        run("ip", "netns", "del", netns)
    if data.get("veth"):
        # Deleting the namespace deletes the pair, a moment later.
        deadline = time.monotonic() + 3
        while link_exists(data["veth"]) and time.monotonic() < deadline:
            time.sleep(0.1)
        run("ip", "link", "del", "dev", data["veth"], check=False)
        if link_exists(data["veth"]):
            raise SystemExit("could not delete %s" % data["veth"])
    if data.get("root"):
        remove_tree(data["root"])
    for key in ("controller_key", "push_key"):
        if data.get(key):
            for path in (Path(data[key]), Path(data[key]).with_suffix(".pub")):
                if path.exists():
                    path.unlink()
    if state.path.exists():
        state.path.unlink()
    print(json.dumps({"stopped": bool(data), "netns": netns}))


def main(argv):
    commands = {"rootfs": (rootfs, 1), "up": (up, 3), "down": (down, 1)}
    if len(argv) < 2 or argv[1] not in commands or len(argv) - 2 != commands[argv[1]][1]:
        raise SystemExit(__doc__)
    commands[argv[1]][0](*argv[2:])


if __name__ == "__main__":
    main(sys.argv)
