"""One simulated user, as JupyterHub's load-test scripts drive a hub: with `requests` and a
WebSocket client, no browser, no Origin header.

1. GET /hub/login: the hub sets its `_xsrf` cookie; POST the sign-in form with that value in
   the `_xsrf` field (the only XSRF proof a non-browser client has).
2. GET /hub/spawn, following redirects: the hub starts the server and sends the client to
   the pending page; the client follows the progress event stream with its cookie and goes
   back to the pending page, which now redirects to the server.
3. POST /user/<name>/api/kernels with the session cookie and `X-XSRFToken` from the `_xsrf`
   cookie Jupyter set (jupyter_server's double-submit rule), then run a cell over the kernel's
   WebSocket (the Jupyter messaging protocol, JSON over `…/channels`).
4. DELETE /hub/api/users/<name>/server with the cookie and `X-XSRFToken` from the hub's
   `_xsrf` cookie, and poll the user model until the server is gone.

Usage: load_user.py <hub-url> <user> <password>. Prints one JSON object with what it saw;
any unexpected answer exits non-zero with the step that failed.
"""

import datetime
import faulthandler
import json
import sys
import time
import uuid
from urllib.parse import urlparse

import requests
import websocket


def fail(step, r):
    raise SystemExit(f"{step}: {r.status_code} {r.url}\n{r.text[:2000]}")


def cookie(session, name, path):
    """The cookie `name` that the jar would send to `path` (several `_xsrf` cookies coexist)."""
    matches = [c for c in session.cookies if c.name == name and path.startswith(c.path)]
    if not matches:
        raise SystemExit(f"no {name} cookie for {path}: {[(c.name, c.path) for c in session.cookies]}")
    return max(matches, key=lambda c: len(c.path)).value


def sign_in(session, hub, user, password, seen):
    r = session.get(f"{hub}/hub/login")
    if r.status_code != 200:
        fail("GET /hub/login", r)
    xsrf = cookie(session, "_xsrf", "/hub/login")
    r = session.post(
        f"{hub}/hub/login",
        data={"username": user, "password": password, "_xsrf": xsrf},
        allow_redirects=False,
    )
    seen["login_status"] = r.status_code
    if r.status_code != 302:
        fail("POST /hub/login", r)


def spawn(session, hub, user, seen):
    r = session.get(f"{hub}/hub/spawn")
    seen["spawn_redirects"] = [urlparse(h.headers["location"]).path for h in r.history]
    if r.status_code != 200:
        fail("GET /hub/spawn", r)
    if not urlparse(r.url).path.startswith(f"/user/{user}/"):
        # The pending page: follow the start, then ask the page again.
        events = []
        with session.get(f"{hub}/hub/api/users/{user}/server/progress", stream=True) as p:
            if p.status_code != 200:
                fail("GET progress", p)
            for line in p.iter_lines():
                if line.startswith(b"data:"):
                    events.append(json.loads(line[5:]))
                    if events[-1].get("ready") or events[-1].get("failed"):
                        break
        seen["progress"] = events
        r = session.get(r.url)
        if r.status_code != 200:
            fail("the pending page once ready", r)
    seen["server_page"] = urlparse(r.url).path
    if not seen["server_page"].startswith(f"/user/{user}/"):
        raise SystemExit(f"did not end on the server: {r.url}")


def run_cell(session, hub, user, code, seen):
    base = f"/user/{user}/"
    r = session.post(
        f"{hub}{base}api/kernels",
        json={"name": "python3"},
        headers={"X-XSRFToken": cookie(session, "_xsrf", base)},
    )
    seen["kernel_status"] = r.status_code
    if r.status_code != 201:
        fail("POST api/kernels", r)
    kernel_id = r.json()["id"]

    channels = f"{hub}{base}api/kernels/{kernel_id}/channels"
    session_id = uuid.uuid4().hex
    # The cookies the jar would send to that URL, over the WebSocket handshake.
    cookies = session.prepare_request(requests.Request("GET", channels)).headers.get("Cookie")
    ws = websocket.create_connection(
        f"ws{channels[4:]}?session_id={session_id}",
        cookie=cookies,
        suppress_origin=True,
        timeout=60,
    )
    msg_id = uuid.uuid4().hex
    ws.send(
        json.dumps(
            {
                "header": {
                    "msg_id": msg_id,
                    "username": user,
                    "session": session_id,
                    "msg_type": "execute_request",
                    "version": "5.3",
                    "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                },
                "parent_header": {},
                "metadata": {},
                "content": {
                    "code": code,
                    "silent": False,
                    "store_history": True,
                    "user_expressions": {},
                    "allow_stdin": False,
                    "stop_on_error": True,
                },
                "channel": "shell",
                "buffers": [],
            }
        )
    )
    # Done when the shell's reply and IOPub's idle status have both come, in either order:
    # the two channels are not ordered with respect to each other.
    stream, reply, idle = [], None, False
    while reply is None or not idle:
        msg = json.loads(ws.recv())
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            stream.append(msg["content"]["text"])
        elif msg["msg_type"] == "execute_reply":
            reply = msg["content"]["status"]
        elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            idle = True
    ws.close()
    seen["execute_reply"] = reply
    seen["stream"] = "".join(stream)


def stop(session, hub, user, seen):
    r = session.delete(
        f"{hub}/hub/api/users/{user}/server",
        headers={"X-XSRFToken": cookie(session, "_xsrf", "/hub/api/")},
    )
    seen["stop_status"] = r.status_code
    if r.status_code not in (202, 204):
        fail("DELETE /hub/api/users/<name>/server", r)
    deadline = time.monotonic() + 60
    while True:
        r = session.get(f"{hub}/hub/api/users/{user}")
        if r.status_code != 200:
            fail("GET /hub/api/users/<name>", r)
        if "" not in r.json().get("servers", {}):
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"the server did not stop: {r.text}")
        time.sleep(0.5)


class TimeoutSession(requests.Session):
    """A session whose requests give up after a minute without an answer, as load tools do."""

    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", 60)
        return super().request(*args, **kwargs)


def main():
    # A step that hangs prints where it hung instead of stalling the test.
    faulthandler.dump_traceback_later(240, exit=True)
    hub, user, password = sys.argv[1], sys.argv[2], sys.argv[3]
    session = TimeoutSession()
    seen = {}
    sign_in(session, hub, user, password, seen)
    spawn(session, hub, user, seen)
    run_cell(session, hub, user, "print(1+1)", seen)
    stop(session, hub, user, seen)
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
