"""A local stand-in for the Stripe API, for black-box tests (python stdlib only).

    from fake_stripe import FakeStripe
    with FakeStripe() as fake:                      # 127.0.0.1, a free port
        env = {"XCELSIOR_STRIPE_API_BASE": fake.url, "XCELSIOR_STRIPE_SECRET_KEY": fake.key}
        ...
        fake.requests("/v1/transfers")             # what the server sent, oldest first

It speaks the documented conventions the server relies on: form-encoded POST bodies with bracket
keys (metadata[customer_id]=… becomes {"metadata": {"customer_id": …}}), `Authorization: Bearer
sk_test_…` (else 401 with an error object), Idempotency-Key semantics (the same key with the same
parameters replays the first response with `Idempotent-Replayed: true`; with other parameters it is
a 400 idempotency_error; a refused request is not remembered), error objects {"error": {"type", "code", "message", "param"}} for bad
parameters, and objects with "object": "account" / "account_link" / "payment_intent" /
"transfer" and ids acct_/pi_/tr_ with a random suffix. Every request is recorded (GET /__requests
returns them too); fail_next() makes the next call to a path answer a given error; stall_next()
carries the next call out but holds its reply back."""
import json
import secrets
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def _nest(pairs):
    """Form pairs with bracket keys -> nested dicts (a[b][c]=v -> {"a": {"b": {"c": v}}})."""
    out = {}
    for key, value in pairs:
        parts = [key.split("[", 1)[0]] + [p.rstrip("]") for p in key.split("[")[1:]]
        node = out
        for p in parts[:-1]:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise ValueError(key)
        node[parts[-1]] = value
    return out


def _err(status, type_, message, code=None, param=None):
    e = {"type": type_, "message": message}
    if code:
        e["code"] = code
    if param:
        e["param"] = param
    return status, {"error": e}


def _int(params, name):
    v = params.get(name)
    if v is None:
        return None, _err(400, "invalid_request_error", f"Missing required param: {name}.", "parameter_missing", name)
    if not isinstance(v, str) or not v.lstrip("-").isdigit():
        return None, _err(400, "invalid_request_error", f"Invalid integer: {v}", "parameter_invalid_integer", name)
    return int(v), None


class FakeStripe:
    def __init__(self, key="sk_test_" + "x" * 24):
        self.key = key
        self.lock = threading.Lock()
        self.log = []            # recorded requests
        self.idem = {}           # key -> (path, params, status, body)
        self.accounts = {}
        self.failures = {}       # path -> [(status, body), ...]
        self.stalls = {}         # path -> seconds: answer the next call, then hold the reply back
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = None

    # ---- lifecycle ----
    def start(self):
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        if self.thread:
            self.thread.join(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- test helpers ----
    def requests(self, path=None):
        with self.lock:
            return [r for r in self.log if path is None or r["path"] == path]

    def fail_next(self, path, status=400, type_="invalid_request_error", message="Injected failure", code=None):
        with self.lock:
            self.failures.setdefault(path, []).append(_err(status, type_, message, code))

    def stall_next(self, path, seconds=30):
        """The next call to path is carried out (the object exists, its idempotent result is kept)
        but its reply is held back for `seconds`: the caller can die waiting for it."""
        with self.lock:
            self.stalls[path] = seconds

    # ---- the API ----
    def _route(self, path, params):
        rid = lambda p: p + secrets.token_hex(12)  # noqa: E731
        now = int(time.time())
        if path == "/v1/accounts":
            if params.get("type") not in ("express", "standard", "custom"):
                return _err(400, "invalid_request_error", "Invalid type: must be one of custom, express, or standard",
                            "parameter_invalid_string", "type")
            acct = {"id": rid("acct_"), "object": "account", "type": params["type"],
                    "country": params.get("country", "US"), "email": params.get("email"),
                    "capabilities": {k: "inactive" for k in params.get("capabilities", {})},
                    "charges_enabled": False, "payouts_enabled": False, "details_submitted": False,
                    "default_currency": "cad", "created": now}
            self.accounts[acct["id"]] = acct
            return 200, acct
        if path == "/v1/account_links":
            for p in ("account", "type"):
                if not params.get(p):
                    return _err(400, "invalid_request_error", f"Missing required param: {p}.", "parameter_missing", p)
            if params["account"] not in self.accounts:
                return _err(400, "invalid_request_error", "No such account: '%s'" % params["account"],
                            "resource_missing", "account")
            if params["type"] not in ("account_onboarding", "account_update"):
                return _err(400, "invalid_request_error", "Invalid type", "parameter_invalid_string", "type")
            return 200, {"object": "account_link", "created": now, "expires_at": now + 300,
                         "url": "https://connect.stripe.test/setup/e/%s/%s" % (params["account"], secrets.token_hex(8))}
        if path == "/v1/payment_intents":
            amount, e = _int(params, "amount")
            if e:
                return e
            if not params.get("currency"):
                return _err(400, "invalid_request_error", "Missing required param: currency.", "parameter_missing",
                            "currency")
            if amount < 50:
                return _err(400, "invalid_request_error", "Amount must be at least $0.50 %s" % params["currency"],
                            "amount_too_small", "amount")
            pid = rid("pi_")
            return 200, {"id": pid, "object": "payment_intent", "amount": amount, "amount_received": 0,
                         "currency": params["currency"], "status": "requires_payment_method",
                         "client_secret": pid + "_secret_" + secrets.token_hex(12),
                         "metadata": params.get("metadata", {}),
                         "automatic_payment_methods": {"enabled": params.get("automatic_payment_methods", {})
                                                       .get("enabled") == "true"}, "created": now}
        if path == "/v1/transfers":
            amount, e = _int(params, "amount")
            if e:
                return e
            if amount < 1:
                return _err(400, "invalid_request_error", "Amount must be at least 1 cent", "parameter_invalid_integer",
                            "amount")
            if params.get("destination") not in self.accounts:
                return _err(400, "invalid_request_error", "No such destination: '%s'" % params.get("destination"),
                            "resource_missing", "destination")
            return 200, {"id": rid("tr_"), "object": "transfer", "amount": amount, "currency": params.get("currency"),
                         "destination": params["destination"], "transfer_group": params.get("transfer_group"),
                         "metadata": params.get("metadata", {}), "reversed": False, "created": now}
        return _err(404, "invalid_request_error", "Unrecognized request URL (POST: %s)." % path)

    def _handler(fake):
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _send(self, status, obj, headers=()):
                body = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for k, v in headers:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path == "/__requests":
                    return self._send(200, fake.requests())
                self._send(*_err(404, "invalid_request_error", "Unrecognized request URL"))

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                pairs = urllib.parse.parse_qsl(raw, keep_blank_values=True)
                rec = {"method": "POST", "path": self.path, "form": dict(pairs), "raw": raw,
                       "authorization": self.headers.get("Authorization"),
                       "idempotency_key": self.headers.get("Idempotency-Key"),
                       "content_type": self.headers.get("Content-Type")}
                with fake.lock:
                    fake.log.append(rec)
                    status, body, headers = self._answer(pairs)
                    stall = fake.stalls.pop(self.path, 0)
                rec["status"] = status
                if stall:
                    time.sleep(stall)
                try:
                    self._send(status, body, headers)
                except OSError:
                    pass  # the caller went away (a stalled reply)

            def _answer(self, pairs):
                if self.headers.get("Authorization") != "Bearer " + fake.key:
                    return (*_err(401, "invalid_request_error", "Invalid API Key provided: %s" %
                                  (self.headers.get("Authorization") or "(none)")[7:15]), ())
                try:
                    params = _nest(pairs)
                except ValueError as e:
                    return (*_err(400, "invalid_request_error", "Invalid parameter: %s" % e), ())
                key = self.headers.get("Idempotency-Key")
                if key and key in fake.idem:
                    path, first, status, body = fake.idem[key]
                    if path != self.path or first != params:
                        return (*_err(400, "idempotency_error", "Keys for idempotent requests can only be used with "
                                      "the same parameters they were first used with."), ())
                    return status, body, (("Idempotent-Replayed", "true"),)
                queued = fake.failures.get(self.path)
                status, body = queued.pop(0) if queued else fake._route(self.path, params)
                if key and status == 200:  # Stripe keeps no result for a request that failed validation
                    fake.idem[key] = (self.path, params, status, body)
                return status, body, (("Request-Id", "req_" + secrets.token_hex(7)),)

        return Handler
