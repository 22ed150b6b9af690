"""Log in to a Linux source machine the way the Mobility service push install does, and report what happened.

Usage: python tests/molecule/push_check.py ADDRESS PASSWORD_FILE PUSH_KEY_FILE

From outside the machine, over real SSH with paramiko: root with the password only (no key, no agent), a wrong
password (must be refused), an SFTP session that writes, reads back and deletes a file (what the push install
does with the installer), then, logged in, sshd's effective configuration, the host name and what it resolves
to; and a login with the key given to the role as mobility_account_authorized_key. Prints one JSON object; the
molecule playbooks assert on it. The password is read from a file and never printed.
"""

import json
import secrets
import sys

import paramiko


def connect(address, **auth):
    client = paramiko.SSHClient()
    # A test host with a new host key on every run, reached only over its own veth pair.
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())  # nosec
    client.connect(address, port=22, username="root", look_for_keys=False, allow_agent=False, timeout=10,
                   banner_timeout=10, auth_timeout=10, **auth)
    return client


def run(client, command):
    _stdin, stdout, stderr = client.exec_command(command, timeout=20)
    out = stdout.read().decode(errors="replace")
    status = stdout.channel.recv_exit_status()
    if status != 0:
        raise RuntimeError("%s exited with %s: %s" % (command, status, stderr.read().decode(errors="replace")[-500:]))
    return out


def attempt(report, name, func):
    try:
        report[name] = func()
    except Exception as exc:  # pylint: disable=broad-exception-caught  # every failure is reported, not raised
        report[name] = False
        report[name + "_error"] = "%s: %s" % (type(exc).__name__, exc)


def sshd_settings(effective):
    """The settings the push install depends on, from `sshd -T`."""
    wanted = ("passwordauthentication", "permitrootlogin", "subsystem")
    pairs = (line.split(" ", 1) for line in effective.splitlines() if " " in line)
    return {key: value for key, value in pairs if key in wanted}


def sftp_roundtrip(client):
    payload = secrets.token_bytes(4096)
    path = "/tmp/azmove-push-check-%s.bin" % secrets.token_hex(4)
    with client.open_sftp() as sftp:
        with sftp.open(path, "wb") as remote:
            remote.write(payload)
        with sftp.open(path, "rb") as remote:
            back = remote.read()
        sftp.remove(path)
    return back == payload


def check(address, password, key_file):
    report = {}
    client = None

    def password_login():
        nonlocal client
        client = connect(address, password=password)
        return True

    attempt(report, "password_login", password_login)

    def wrong_password_refused():
        try:
            connect(address, password=password + "-wrong").close()
        except paramiko.AuthenticationException:
            return True
        return False

    attempt(report, "wrong_password_refused", wrong_password_refused)
    if client is not None:
        with client:
            attempt(report, "uid", lambda: int(run(client, "id -u")))
            attempt(report, "sftp_roundtrip", lambda: sftp_roundtrip(client))
            attempt(report, "sshd", lambda: sshd_settings(run(client, "/usr/sbin/sshd -T")))
            attempt(report, "hostname", lambda: run(client, "hostname").strip())
            attempt(report, "resolves_to", lambda: run(client, 'getent ahostsv4 "$(hostname)"').split()[0])

    def key_login():
        connect(address, key_filename=key_file).close()
        return True

    attempt(report, "key_login", key_login)
    return report


def main(argv):
    if len(argv) != 4:
        raise SystemExit(__doc__)
    with open(argv[2], encoding="utf-8") as secret:
        password = secret.read().strip()
    print(json.dumps(check(argv[1], password, argv[3]), indent=2, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv)
