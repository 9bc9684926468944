"""JupyterHub's documented Python usage of its REST API, with `requests`, run against our hub.

Follows JupyterHub's guides "Using JupyterHub's REST API" (a requests.Session carrying
`Authorization: token …`; "Paginating API requests" with
`Accept: application/jupyterhub-pagination+json`, following `_pagination.next.url`) and
"Starting servers with the JupyterHub API" (read the user model, POST to start, follow the
server's `progress_url` event stream to `ready`, talk to the server, DELETE and poll the user
model until the server is gone). Written from those guides, not from our code: whatever it
needs from the hub is what a JupyterHub user's script needs.

Usage: rest_tutorial.py <hub-url> <user> <page-size>; JUPYTERHUB_API_TOKEN in the environment.
Prints one JSON object with what it saw; any HTTP error or unexpected answer exits non-zero.
"""

import json
import os
import sys
import time

import requests


def make_session(token):
    session = requests.Session()
    session.headers = {"Authorization": f"token {token}"}
    return session


def paginated(session, url, page_size):
    """Yields every item of a list endpoint, one page at a time, and counts the pages."""
    pages = []
    r = session.get(
        url,
        params={"limit": page_size},
        headers={"Accept": "application/jupyterhub-pagination+json"},
    )
    while True:
        r.raise_for_status()
        body = r.json()
        pages.append(body["_pagination"])
        yield from body["items"]
        next_info = body["_pagination"]["next"]
        if not next_info:
            break
        r = session.get(
            next_info["url"],
            headers={"Accept": "application/jupyterhub-pagination+json"},
        )
    paginated.pages = pages


def event_stream(session, url):
    """The progress API: server-sent events, one JSON object per `data:` line."""
    r = session.get(url, stream=True)
    r.raise_for_status()
    for line in r.iter_lines():
        line = line.decode("utf8", "replace")
        if line.startswith("data:"):
            yield json.loads(line.split(":", 1)[1])


def start_server(session, hub_url, user, seen):
    user_url = f"{hub_url}/hub/api/users/{user}"
    r = session.get(user_url)
    r.raise_for_status()
    user_model = r.json()
    if "" not in user_model.get("servers", {}):
        r = session.post(f"{user_url}/server")
        r.raise_for_status()
        seen["start_status"] = r.status_code
        if r.status_code not in (201, 202):
            raise ValueError(f"unexpected status starting: {r.status_code}")
        r = session.get(user_url)
        r.raise_for_status()
        user_model = r.json()
    server = user_model["servers"][""]
    if server["pending"]:
        seen["status_after_start"] = f"pending {server['pending']}"
    elif server["ready"]:
        seen["status_after_start"] = "ready"
    else:
        raise ValueError(f"unexpected server state: {server}")

    seen["events"] = []
    for event in event_stream(session, f"{hub_url}{server['progress_url']}"):
        seen["events"].append(event)
        if event.get("ready"):
            server_url = event["url"]
            break
    else:
        raise ValueError(f"{user}'s server never became ready")
    return f"{hub_url}{server_url}"


def stop_server(session, hub_url, user, seen):
    # The guide's stop_server, for the default server: `servers/` + the empty server name.
    user_url = f"{hub_url}/hub/api/users/{user}"
    r = session.delete(f"{user_url}/servers/")
    r.raise_for_status()
    seen["stop_status"] = r.status_code
    if r.status_code == 204:
        return
    polls = 0
    while True:
        r = session.get(user_url)
        r.raise_for_status()
        user_model = r.json()
        if "" not in user_model.get("servers", {}):
            seen["stop_polls"] = polls
            return
        server = user_model["servers"][""]
        if not server["pending"]:
            raise ValueError(f"waiting for {user}'s server to stop, but it is not pending: {server}")
        polls += 1
        time.sleep(0.5)


def main():
    hub_url, user, page_size = sys.argv[1], sys.argv[2], int(sys.argv[3])
    session = make_session(os.environ["JUPYTERHUB_API_TOKEN"])
    seen = {}

    r = session.get(f"{hub_url}/hub/api/")
    r.raise_for_status()
    seen["version"] = r.json()["version"]

    # Without the pagination media type: the plain list older clients expect.
    r = session.get(f"{hub_url}/hub/api/users")
    r.raise_for_status()
    seen["plain_list_names"] = [u["name"] for u in r.json()]

    seen["paged_names"] = [u["name"] for u in paginated(session, f"{hub_url}/hub/api/users", page_size)]
    seen["pages"] = paginated.pages

    server_url = start_server(session, hub_url, user, seen)
    seen["server_url"] = server_url
    # "Communicate with the server": Jupyter's own REST API through the hub, same token.
    r = session.get(f"{server_url}api/status")
    r.raise_for_status()
    seen["jupyter_status"] = r.json()
    r = session.get(f"{hub_url}/hub/api/users/{user}")
    r.raise_for_status()
    seen["user_while_running"] = r.json()

    stop_server(session, hub_url, user, seen)
    r = session.get(f"{hub_url}/hub/api/users/{user}")
    r.raise_for_status()
    seen["user_after_stop"] = r.json()
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
