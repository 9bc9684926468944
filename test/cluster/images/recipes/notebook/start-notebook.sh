#!/bin/bash
# docker-stacks keeps start-notebook.sh for older deployments; it runs start-notebook.py.
exec /usr/local/bin/start-notebook.py "$@"
