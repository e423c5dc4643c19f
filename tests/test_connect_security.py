"""%connect against a secured master, end to end through jupyter_client: a `mesos-local` started
with Mesos's --credentials and --authenticate-http-* flags (so every API answers 401 without the
right principal and secret), and an https:// front (a TLS proxy with its own CA, made here with
openssl) for --ca-cert. The secret is random per run, and no output may ever contain it."""

import base64
import http.client
import http.server
import json
import ssl
import subprocess
import threading
import urllib.error
import urllib.request

import pytest

from conftest import PRINCIPAL, result, run

def authed_json(url, path, secret):
    req = urllib.request.Request(url + path)
    token = base64.b64encode(f"{PRINCIPAL}:{secret}".encode()).decode()
    req.add_header("Authorization", f"Basic {token}")
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


def all_text(msgs):
    return json.dumps([m["content"] for m in msgs])


def test_the_secured_master_refuses_anonymous_calls(secured):
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(secured["url"] + "/master/state", timeout=10)
    assert e.value.code == 401
    assert e.value.headers["WWW-Authenticate"] == 'Basic realm="mesos-master-readonly"'
    flags = authed_json(secured["url"], "/master/flags", secured["secret"])["flags"]
    assert flags["authenticate_http_frameworks"] == "true"


def test_connect_without_or_with_wrong_credentials_fails_clearly(mk, secured):
    reply, msgs = run(mk, f"%connect {secured['url']}", ok=False)
    assert reply["content"]["status"] == "error"
    assert "HTTP 401" in reply["content"]["evalue"] and "--principal" in reply["content"]["evalue"], reply
    reply, msgs = run(
        mk, f"%connect {secured['url']} --principal {PRINCIPAL} --secret-file {secured['wrong']}", ok=False
    )
    assert reply["content"]["status"] == "error"
    assert "HTTP 401" in reply["content"]["evalue"], reply
    assert f"refused principal {PRINCIPAL}" in reply["content"]["evalue"], reply
    assert secured["secret"] not in all_text(msgs)
    # Half the credentials is a usage error, before any call.
    reply, _ = run(mk, f"%connect {secured['url']} --principal {PRINCIPAL}", ok=False)
    assert reply["content"]["ename"] == "MagicUsage"
    assert "--secret-file" in reply["content"]["evalue"]


def test_connect_and_subscribe_with_credentials_never_show_the_secret(mk, secured):
    seen = []
    _, msgs = run(mk, f"%connect {secured['url']} --principal {PRINCIPAL} --secret-file {secured['good']}")
    seen += msgs
    text = result(msgs)["text/plain"]
    assert f"principal {PRINCIPAL} (secret from {secured['good']})" in text, text
    # Same target and credentials again: nothing changes.
    _, msgs = run(mk, f"%connect {secured['url']} --principal {PRINCIPAL} --secret-file {secured['good']}")
    seen += msgs
    assert "already connected" in result(msgs)["text/plain"]
    _, msgs = run(mk, "%subscribe --name secured-fw")
    seen += msgs
    _, msgs = run(mk, "%status")
    seen += msgs
    assert PRINCIPAL in result(msgs)["text/plain"]
    # The master registered the framework under our principal (read with our own credentials).
    frameworks = authed_json(secured["url"], "/master/frameworks", secured["secret"])["frameworks"]
    mine = [f for f in frameworks if f["name"] == "secured-fw"]
    assert len(mine) == 1 and mine[0]["principal"] == PRINCIPAL, mine
    # The operator magics reach the read-only and read-write realms with the same credentials.
    _, msgs = run(mk, "%metrics master/frameworks_active")
    seen += msgs
    assert "master/frameworks_active" in result(msgs)["text/plain"]
    _, msgs = run(mk, "%frameworks")
    seen += msgs
    assert "secured-fw" in result(msgs)["text/plain"]
    run(mk, "%teardown")
    assert secured["secret"] not in all_text(seen)


def test_a_subscribe_naming_another_principal_is_refused_as_mesos_does(secured):
    body = json.dumps({"type": "SUBSCRIBE", "subscribe": {"framework_info": {
        "user": "nobody", "name": "impostor", "principal": "someone-else"}}}).encode()  # fmt: skip
    req = urllib.request.Request(secured["url"] + "/api/v1/scheduler", data=body, method="POST")
    req.add_header("Content-Type", "application/json")
    req.add_header("Accept", "application/json")
    token = base64.b64encode(f"{PRINCIPAL}:{secured['secret']}".encode()).decode()
    req.add_header("Authorization", f"Basic {token}")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=10)
    assert e.value.code == 400
    assert e.value.read().decode() == (
        "Failed to validate scheduler::Call: Authenticated principal 'nb-framework' does not "
        "match principal 'someone-else' set in `FrameworkInfo`"
    )


# --- https:// with a private CA -------------------------------------------------------------


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def tls_front(secured):
    """An https:// proxy on loopback, its certificate signed by a CA made here, forwarding to the
    secured master. Yields its URL and the CA's PEM file."""
    d = secured["dir"]
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
            "-days", "2", "-subj", "/CN=notebook test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign",
            cwd=d)  # fmt: skip
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
            "-subj", "/CN=127.0.0.1", cwd=d)  # fmt: skip
    (d / "server.ext").write_text(
        "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
    )
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext", cwd=d)  # fmt: skip
    upstream = secured["url"].removeprefix("http://")

    class Forward(http.server.BaseHTTPRequestHandler):
        def forward(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            conn = http.client.HTTPConnection(upstream, timeout=30)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            self.send_response(resp.status)
            for k, v in resp.getheaders():
                if k.lower() == "location":
                    # The master redirects to itself (//host:port/master): point that at us, as
                    # a master serving TLS itself would.
                    v = v.replace(upstream, f"127.0.0.1:{self.server.server_address[1]}")
                if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = forward

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Forward)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(d / "server.pem", d / "server.key")
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield {"url": f"https://127.0.0.1:{server.server_address[1]}", "ca": d / "ca.pem"}
    finally:
        server.shutdown()


def test_https_master_needs_its_ca(mk, secured, tls_front):
    creds = f"--principal {PRINCIPAL} --secret-file {secured['good']}"
    reply, _ = run(mk, f"%connect {tls_front['url']} {creds}", ok=False)
    assert reply["content"]["status"] == "error"
    assert "UnknownIssuer" in reply["content"]["evalue"] and "--ca-cert" in reply["content"]["evalue"], reply
    reply, msgs = run(mk, f"%connect {tls_front['url']} {creds} --ca-cert {tls_front['ca']}", ok=False)
    assert reply["content"]["status"] == "ok", reply["content"].get("evalue")
    text = result(msgs)["text/plain"]
    assert f"CA {tls_front['ca']}" in text and "connected" in text, text
    _, msgs = run(mk, "%agents")
    agents = authed_json(secured["url"], "/master/slaves", secured["secret"])["slaves"]
    assert agents and all(a["id"] in result(msgs)["text/plain"] for a in agents), result(msgs)
    assert secured["secret"] not in all_text(msgs)


def test_a_ca_file_that_is_not_pem_is_a_usage_error(mk, secured, tls_front):
    not_pem = secured["dir"] / "not-a-cert.txt"
    not_pem.write_text("hello")
    reply, _ = run(mk, f"%connect {tls_front['url']} --ca-cert {not_pem}", ok=False)
    assert reply["content"]["ename"] == "MagicUsage"
    assert str(not_pem) in reply["content"]["evalue"]
