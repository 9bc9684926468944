"""Drives the hub's REST API with JupyterHub's own client code and prints one JSON result.

Usage: hub_client.py whoami <token> | hub_client.py cull <inactive-seconds>
Environment: JUPYTERHUB_API_URL (…/hub/api) and JUPYTERHUB_API_TOKEN (the caller's token).
"""

import asyncio
import json
import logging
import os
import sys

from jupyterhub.services.auth import HubAuth
from jupyterhub_idle_culler import cull_idle


def whoami(token: str) -> dict:
    # HubAuth is what JupyterHub services and single-user servers use to identify a token.
    auth = HubAuth(api_url=os.environ["JUPYTERHUB_API_URL"], api_token=os.environ["JUPYTERHUB_API_TOKEN"])
    return {"user": auth.user_for_token(token, use_cache=False)}


def cull(inactive_seconds: int) -> dict:
    # One round of jupyterhub-idle-culler (the CLI runs the same function every --cull-every).
    messages = []

    class Collect(logging.Handler):
        def emit(self, record):
            messages.append(record.getMessage())

    log = logging.getLogger("culler")
    log.setLevel(logging.DEBUG)
    log.addHandler(Collect())
    asyncio.run(
        cull_idle(
            url=os.environ["JUPYTERHUB_API_URL"],
            api_token=os.environ["JUPYTERHUB_API_TOKEN"],
            inactive_limit=inactive_seconds,
            logger=log,
            api_page_size=1,  # one user a page: exercises the pagination protocol
        )
    )
    return {"log": messages}


if __name__ == "__main__":
    command, arg = sys.argv[1], sys.argv[2]
    result = whoami(arg) if command == "whoami" else cull(int(arg))
    print(json.dumps(result))
