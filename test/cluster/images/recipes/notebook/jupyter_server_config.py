# /etc/jupyter/jupyter_server_config.py, as docker-stacks' base-notebook has it
# (images/base-notebook/jupyter_server_config.py), without its self-signed certificate option.
import os

c = get_config()  # noqa: F821
c.ServerApp.ip = "0.0.0.0"
c.ServerApp.open_browser = False
c.ServerApp.port = int(os.getenv("JUPYTER_PORT", "8888"))
# https://github.com/jupyter/notebook/issues/3130
c.FileContentsManager.delete_to_trash = False
# Change default umask for all subprocesses of the server if set in the environment
if "NB_UMASK" in os.environ:
    os.umask(int(os.environ["NB_UMASK"], 8))
