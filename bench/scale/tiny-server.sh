# A stand-in for a notebook server, ~0.3 MB of memory: BusyBox's httpd serving three static
# files under the server's base URL. Run as `busybox sh tiny-server.sh <args…>`; it accepts
# the arguments each launcher gives a Jupyter server and ignores the rest:
#   Ganymede, local backend:    --ServerApp.port=N --ServerApp.ip=A --ServerApp.base_url=/user/x/
#   Ganymede, Kubernetes pods:  lab --ServerApp.base_url=/user/x/ --ServerApp.port=8888 --ServerApp.ip=0.0.0.0
#   JupyterHub 2+ (SimpleLocalProcessSpawner): no arguments; JUPYTERHUB_SERVICE_URL
#     (http://127.0.0.1:N/user/x/) and JUPYTERHUB_SERVICE_PREFIX (/user/x/) in the environment
# Files, under the base URL (what the hubs and the benchmark ask for):
#   api/status     Jupyter's status document (the local backend's readiness check, the culler)
#   api/index.html so `<base>api` answers (a redirect to `<base>api/`: the operator's probe
#                  path; the kubelet counts 3xx as success)
#   index.html     JupyterHub's wait-for-server request of `<base>`
#   /index.html    the base URL itself, so the benchmark can map a pod's IP to its user
# The files live in a folder `.tiny-www` under the working directory (the server's home).
set -eu
port=${JUPYTER_PORT:-8888}
ip=
base=${JUPYTERHUB_SERVICE_PREFIX:-/}
if [ -n "${JUPYTERHUB_SERVICE_URL:-}" ]; then
  hostport=${JUPYTERHUB_SERVICE_URL#*://}
  hostport=${hostport%%/*}
  port=${hostport##*:}
  ip=${hostport%:*}
fi
for a in "$@"; do
  case "$a" in
    --ServerApp.port=*|--port=*) port=${a#*=} ;;
    --ServerApp.ip=*|--ip=*) ip=${a#*=} ;;
    --ServerApp.base_url=*) base=${a#*=} ;;
  esac
done
case "$base" in */) ;; *) base="$base/" ;; esac
root="$PWD/.tiny-www"
now=$(date -u +%Y-%m-%dT%H:%M:%S.000000Z)
mkdir -p "$root${base}api"
printf '{"started":"%s","last_activity":"%s","connections":0,"kernels":0}' "$now" "$now" > "$root${base}api/status"
printf 'tiny' > "$root${base}api/index.html"
printf 'tiny' > "$root${base}index.html"
printf '%s' "$base" > "$root/index.html"
if [ -n "$ip" ] && [ "$ip" != "0.0.0.0" ]; then listen="$ip:$port"; else listen="$port"; fi
exec "${BUSYBOX:-busybox}" httpd -f -p "$listen" -h "$root"
