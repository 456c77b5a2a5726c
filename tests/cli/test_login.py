"""`xcelsior login` / `logout` / `whoami` / `keys` against the real server (api.md §8.15, domain §27,
issue 10 item 3). The test plays the user: it registers an account through the API and approves
the CLI's device code with POST /api/auth/verify, as the dashboard or the verification page would."""
import http.server
import json
import os
import re
import signal
import stat
import subprocess
import threading
import time

import pytest

from conftest import CLI, api

PASSWORD = "correct horse battery"
USER_CODE = re.compile(r"^\s*([B-DF-HJ-NP-TV-Z2-9]{4}-[B-DF-HJ-NP-TV-Z2-9]{4})\s*$", re.M)


def unique_email(tag):
    return f"{tag}-{os.getpid()}-{time.monotonic_ns() % 10**9}@example.com"


@pytest.fixture(scope="module")
def url(server):
    st, _ = api(server.url, "POST", "/api/auth/device", {})
    if st in (404, 405, 501):
        pytest.skip("the server has no device flow yet (POST /api/auth/device)")
    return server.url


def register(url, role="submitter", email=None):
    email = email or unique_email(role)
    st, body = api(url, "POST", "/api/auth/register",
                   {"email": email, "password": PASSWORD, "role": role})
    assert st == 200, body
    return email, body["access_token"], body["user"]


def env_for(home, **extra):
    e = {k: v for k, v in os.environ.items() if not k.startswith("XCELSIOR_") and k != "NO_COLOR"}
    e["HOME"] = str(home)
    e.update(extra)
    return e


def token_file(home):
    return home / ".xcelsior" / "token"


def assert_private(home):
    f = token_file(home)
    assert f.exists()
    assert stat.S_IMODE(f.stat().st_mode) == 0o600, oct(f.stat().st_mode)
    assert stat.S_IMODE(f.parent.stat().st_mode) == 0o700, oct(f.parent.stat().st_mode)
    return f.read_text().strip()


def start_login(url, home, *args):
    """Starts `xcelsior login` (device flow) and returns (process, user code, text so far)."""
    p = subprocess.Popen([str(CLI), "--url", url, "login", *args], env=env_for(home),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    seen = ""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        line = p.stdout.readline()
        if not line:
            break
        seen += line
        m = USER_CODE.search(line)
        if m:
            return p, m.group(1), seen
    p.kill()
    out, err = p.communicate()
    pytest.fail(f"no user code printed: {seen + out!r} {err!r}")


# ---------------------------------------------------------------- device flow

def test_device_login_then_whoami(cli, url, home):
    email, session, user = register(url, role="provider")
    p, code, seen = start_login(url, home)
    assert "/api/auth/verify" in seen  # the verification URL is shown with the code
    # The user approves in a browser: the same call the verification page and dashboard make.
    st, body = api(url, "POST", "/api/auth/verify", {"user_code": code.lower().replace("-", "")},
                   token=session)
    assert st == 200, body
    out, err = p.communicate(timeout=40)
    assert p.returncode == 0, (out, err)
    assert f"Logged in as {email} (provider)." in out, out
    assert str(token_file(home)) in out
    tok = assert_private(home)
    assert len(tok) == 64 and tok != session  # a session of its own, not the approver's

    w = cli("whoami", url=url, home=home)
    assert w.returncode == 0, w.stderr
    lines = w.stdout.splitlines()
    assert lines[0] == f"{email} (provider)"
    assert f"customer: {user['customer_id']}" in w.stdout
    j = cli("--json", "whoami", url=url, home=home)
    assert j.returncode == 0
    assert json.loads(j.stdout)["user"]["email"] == email

    # The approved code was used up: approving it again finds nothing to approve.
    st, _ = api(url, "POST", "/api/auth/verify", {"user_code": code}, token=session)
    assert st in (404, 410)


def test_device_login_ctrl_c(url, home):
    p, _, _ = start_login(url, home)
    time.sleep(0.3)
    os.killpg(p.pid, signal.SIGINT)
    out, err = p.communicate(timeout=10)
    assert p.returncode == 130, (out, err)
    assert "cancelled" in err.lower()
    assert not token_file(home).exists()


def test_device_login_json_keeps_stdout_clean(url, home):
    email, session, _ = register(url)
    p = subprocess.Popen([str(CLI), "--url", url, "--json", "login"], env=env_for(home),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    code = None
    deadline = time.monotonic() + 15
    while code is None and time.monotonic() < deadline:
        line = p.stderr.readline()
        if not line:
            break
        m = USER_CODE.search(line)
        code = m.group(1) if m else None
    assert code, "no user code on stderr"
    st, body = api(url, "POST", "/api/auth/verify", {"user_code": code}, token=session)
    assert st == 200, body
    out, err = p.communicate(timeout=40)
    assert p.returncode == 0, err
    doc = json.loads(out)
    assert doc["ok"] is True and doc["user"]["email"] == email
    assert doc["token_file"] == str(token_file(home))
    assert assert_private(home) not in out  # the secret is not echoed


class FakeDeviceServer:
    """A stand-in for the token endpoint's refusals that a real server only gives after minutes
    (expiry) or a race (consumed code): answers 428 with Retry-After, then the final status."""

    def __init__(self, final_status, final_message):
        self.token_calls = []  # (monotonic time, Authorization header)
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def reply(self, status, body, headers=()):
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for k, v in headers:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(raw)

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == "/api/auth/device":
                    self.reply(200, {"ok": True, "device_code": "d" * 43, "user_code": "BCDF-GHJK",
                                     "verification_uri": "http://verify.invalid/api/auth/verify",
                                     "expires_in": 600, "interval": 1})
                elif self.path == "/api/auth/token":
                    outer.token_calls.append((time.monotonic(), self.headers.get("Authorization")))
                    if len(outer.token_calls) == 1:
                        self.reply(428, {"ok": False, "error": {"code": "precondition_required",
                                                                "message": "authorization_pending"}},
                                   [("Retry-After", "3")])
                    else:
                        self.reply(final_status, {"ok": False, "error": {
                            "code": final_message, "message": final_message}})
                else:
                    self.reply(404, {"ok": False, "error": {"code": "not_found", "message": "Not found"}})

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.mark.parametrize("status,message,expect", [
    (410, "expired_token", "expired"),
    (404, "invalid_device_code", "no longer valid"),
])
def test_device_login_honours_retry_after_and_stops(cli, home, status, message, expect):
    fake = FakeDeviceServer(status, message)
    try:
        p = cli("login", url=fake.url, home=home, env={"XCELSIOR_API_TOKEN": "xc-" + "k" * 43})
    finally:
        fake.close()
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert "BCDF-GHJK" in p.stdout and "http://verify.invalid/api/auth/verify" in p.stdout
    assert p.stderr.startswith("error: ") and expect in p.stderr and "xcelsior login" in p.stderr
    assert len(fake.token_calls) == 2
    # The server asked for 3 s although the interval is 1 s.
    assert fake.token_calls[1][0] - fake.token_calls[0][0] >= 2.9
    # The public login routes get no credential, even with one in the environment.
    assert all(auth is None for _, auth in fake.token_calls)
    assert not token_file(home).exists()


# ---------------------------------------------------------------- e-mail and password

def test_password_login_env_and_stdin(cli, url, home):
    email, _, _ = register(url)
    p = cli("login", "--email", email, url=url, home=home, env={"XCELSIOR_PASSWORD": PASSWORD})
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(f"Logged in as {email} (submitter).")
    first = assert_private(home)
    assert cli("whoami", url=url, home=home).stdout.splitlines()[0] == f"{email} (submitter)"

    # --password-stdin, and an e-mail in another case (normalised by the server).
    q = subprocess.run([str(CLI), "--url", url, "login", "--email", email.upper(),
                        "--password-stdin"], input=PASSWORD + "\n", env=env_for(home),
                       capture_output=True, text=True, timeout=30)
    assert q.returncode == 0, q.stderr
    second = assert_private(home)
    assert second != first


def test_password_login_wrong_password(cli, url, home):
    email, _, _ = register(url)
    p = cli("login", "--email", email, url=url, home=home, env={"XCELSIOR_PASSWORD": "wrong-password"})
    assert p.returncode == 1
    assert p.stderr.strip() == "error: Invalid email or password"
    assert p.stdout == ""
    assert not token_file(home).exists()


def test_password_login_without_terminal_or_env(url, home):
    email, _, _ = register(url)
    p = subprocess.run([str(CLI), "--url", url, "login", "--email", email], env=env_for(home),
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30,
                       start_new_session=True)  # no controlling terminal: nowhere to prompt
    assert p.returncode == 2
    assert "XCELSIOR_PASSWORD" in p.stderr
    assert not token_file(home).exists()


# ---------------------------------------------------------------- logout and precedence

def test_logout_revokes_and_removes_the_file(cli, url, home):
    email, _, _ = register(url)
    assert cli("login", "--email", email, url=url, home=home,
               env={"XCELSIOR_PASSWORD": PASSWORD}).returncode == 0
    tok = assert_private(home)
    st, _ = api(url, "GET", "/api/auth/me", token=tok)
    assert st == 200
    p = cli("logout", url=url, home=home)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "Logged out.\n"
    assert not token_file(home).exists()
    st, _ = api(url, "GET", "/api/auth/me", token=tok)
    assert st == 401  # the session ended on the server too
    p = cli("logout", url=url, home=home)
    assert p.returncode == 0 and p.stdout == "Not logged in.\n"
    w = cli("whoami", url=url, home=home)
    assert w.returncode == 1 and w.stderr.startswith("error: ")


def test_token_option_and_env_win_over_the_file(cli, url, home):
    a, _, _ = register(url)
    b, b_session, _ = register(url, role="provider")
    assert cli("login", "--email", a, url=url, home=home,
               env={"XCELSIOR_PASSWORD": PASSWORD}).returncode == 0
    assert cli("whoami", url=url, home=home).stdout.startswith(f"{a} (")
    assert cli("whoami", url=url, home=home,
               env={"XCELSIOR_API_TOKEN": b_session}).stdout.startswith(f"{b} (provider)")
    assert cli("--token", b_session, "whoami", url=url, home=home).stdout.startswith(f"{b} (")
    assert cli("whoami", "--token", b_session, url=url, home=home).stdout.startswith(f"{b} (")
    # logout ends the stored session, never the one in the environment.
    assert cli("logout", url=url, home=home, env={"XCELSIOR_API_TOKEN": b_session}).returncode == 0
    st, _ = api(url, "GET", "/api/auth/me", token=b_session)
    assert st == 200


# ---------------------------------------------------------------- API keys

def test_keys_create_list_use_revoke(cli, url, home):
    email, session, _ = register(url)
    env = {"XCELSIOR_API_TOKEN": session}
    p = cli("keys", url=url, home=home, env=env)
    assert p.returncode == 0 and p.stdout == "No API keys.\n"
    p = cli("keys", "create", "ci", url=url, home=home, env=env)
    assert p.returncode == 0, p.stderr
    m = re.search(r"^API key created: (xc-\S{43})$", p.stdout, re.M)
    assert m, p.stdout
    key = m.group(1)
    preview = re.search(r"^  preview: (\S+)$", p.stdout, re.M).group(1)
    assert preview.startswith(key[:12]) and preview.endswith(key[-4:])
    p = cli("keys", "list", url=url, home=home, env=env)
    assert p.returncode == 0
    assert preview in p.stdout and " | ci" in p.stdout and key not in p.stdout
    # The key is a credential of its own.
    assert cli("--token", key, "whoami", url=url, home=home).stdout.startswith(f"{email} (")
    p = cli("keys", "revoke", preview, url=url, home=home, env=env)
    assert p.returncode == 0 and p.stdout == f"API key revoked: {preview}\n"
    assert cli("--token", key, "whoami", url=url, home=home).returncode == 1
    p = cli("keys", "revoke", preview, url=url, home=home, env=env)
    assert p.returncode == 1 and p.stderr.strip() == "error: API key not found"
    assert cli("keys", "frobnicate", url=url, home=home, env=env).returncode == 2


def test_new_verbs_have_help(cli):
    for verb in ("login", "logout", "whoami", "keys"):
        a = cli("help", verb)
        assert a.returncode == 0 and a.stdout.startswith(f"usage: xcelsior {verb}")
        assert cli(verb, "--help").stdout == a.stdout
    top = cli("--help").stdout
    general = top[top.index("General:"):]
    for verb in ("login", "logout", "whoami", "keys"):
        assert re.search(rf"^  {verb}\s", general, re.M), verb
