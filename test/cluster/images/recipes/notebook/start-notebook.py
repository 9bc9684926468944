#!/usr/bin/env python3
# docker-stacks' start-notebook.py (images/base-notebook/start-notebook.py), for this image:
# runs `jupyter $DOCKER_STACKS_JUPYTER_CMD` (default `lab`) with $NOTEBOOK_ARGS and the arguments
# given. JupyterHub's single-user server and RESTARTABLE=yes (run-one-constantly) are not in
# this image, so JUPYTERHUB_API_TOKEN and RESTARTABLE are not looked at.
import os
import shlex
import sys

command = ["jupyter", os.environ.get("DOCKER_STACKS_JUPYTER_CMD", "lab")]
if "NOTEBOOK_ARGS" in os.environ:
    command += shlex.split(os.environ["NOTEBOOK_ARGS"])
command += sys.argv[1:]
print("Executing: " + " ".join(command), flush=True)
os.execvp(command[0], command)
