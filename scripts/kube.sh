#!/usr/bin/env bash
# A throwaway Kubernetes API server for tests: Debian's etcd + a kube-apiserver built from
# Debian's source (scripts/kube-apiserver.sh), on loopback, everything under DIR.
#
#   scripts/kube.sh start DIR            start etcd + API server; prints the kubeconfig path
#   scripts/kube.sh stop DIR             stop both and wait until they are gone
#   scripts/kube.sh stop-apiserver DIR   stop the API server only (etcd keeps the data)
#   scripts/kube.sh start-apiserver DIR  start it again on the same port, with the same data
#   scripts/kube.sh revoke DIR USER      drop USER's token and restart the API server
#   scripts/kube.sh compact DIR          compact etcd at its current revision (old
#                                        resourceVersions then answer 410 Gone)
#
# The kubeconfig has three contexts: `admin` (system:masters), `dev` (a user whose RBAC is set up
# by the tests) and `dev2`. There are no kubelets, no scheduler and no controllers: pods are
# created through the API and their status is driven through the status subresource.
#
# The server is verified TLS (a CA made here, a serving certificate for 127.0.0.1), token
# authentication from a file, RBAC authorization. `--watch-cache=false` sends every watch to
# etcd, so that compacting etcd is what makes an old resourceVersion answer 410, as on a
# cluster whose watch cache has moved on. The ServiceAccount admission plugin is off because no
# controller creates the `default` service account that it would require on every pod.
set -euo pipefail
cmd=${1:?usage: kube.sh start|stop|stop-apiserver|start-apiserver|revoke|compact DIR}
dir=${2:?directory}
mkdir -p "$dir"
d=$(cd "$dir" && pwd)/kube
mkdir -p "$d"
here=$(cd "$(dirname "$0")" && pwd)
log() { echo "kube.sh: $*" >&2; }

free_port() {
  local p
  while :; do
    p=$(( 20000 + RANDOM % 30000 ))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}

alive() { [ -f "$d/$1.pid" ] && kill -0 "$(cat "$d/$1.pid")" 2>/dev/null; }

stop_one() {
  alive "$1" || { rm -f "$d/$1.pid"; return 0; }
  local pid; pid=$(cat "$d/$1.pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$d/$1.pid"
}

certs() {
  [ -f "$d/server.crt" ] && return
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=skiff-test-ca" \
    -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" \
    -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$d/san.ext"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
    -days 30 -extfile "$d/san.ext" -out "$d/server.crt" 2>/dev/null
  openssl genrsa -out "$d/sa.key" 2048 2>/dev/null
  openssl rsa -in "$d/sa.key" -pubout -out "$d/sa.pub" 2>/dev/null
  token() { head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
  printf '%s,admin,admin,system:masters\n%s,dev,dev\n%s,dev2,dev2\n' "$(token)" "$(token)" "$(token)" > "$d/tokens.csv"
}

# Ports are picked at random and checked free, but a parallel test may take the same one before
# the server binds it: a server that dies at start gets new ports, up to three times.
start_etcd() {
  alive etcd && return
  for _ in 1 2 3; do
    [ -f "$d/etcd.port" ] || free_port > "$d/etcd.port"
    [ -f "$d/peer.port" ] || free_port > "$d/peer.port"
    local port peer; port=$(cat "$d/etcd.port"); peer=$(cat "$d/peer.port")
    etcd --name skiff-test --data-dir "$d/etcd" \
      --listen-client-urls "http://127.0.0.1:$port" --advertise-client-urls "http://127.0.0.1:$port" \
      --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
      --initial-cluster "skiff-test=http://127.0.0.1:$peer" \
      > "$d/etcd.log" 2>&1 &
    echo $! > "$d/etcd.pid"
    # Up to 60 s: several tests start clusters at once on 2 cores.
    for _ in $(seq 1 600); do
      curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && return
      alive etcd || break
      sleep 0.1
    done
    stop_one etcd
    rm -f "$d/etcd.port" "$d/peer.port"
  done
  log "etcd did not start; its log:"; tail -20 "$d/etcd.log" >&2; exit 1
}

start_apiserver() {
  alive apiserver && return
  local bin; bin=$("$here/kube-apiserver.sh")
  local admin; admin=$(grep ',admin,' "$d/tokens.csv" | cut -d, -f1)
  for _ in 1 2 3; do
    [ -f "$d/apiserver.port" ] || free_port > "$d/apiserver.port"
    local port; port=$(cat "$d/apiserver.port")
    "$bin" --etcd-servers="http://127.0.0.1:$(cat "$d/etcd.port")" \
      --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$port" --insecure-port=0 \
      --tls-cert-file="$d/server.crt" --tls-private-key-file="$d/server.key" --cert-dir="$d/certs" \
      --token-auth-file="$d/tokens.csv" --authorization-mode=RBAC \
      --service-account-issuer=https://kubernetes.default.svc \
      --service-account-key-file="$d/sa.pub" --service-account-signing-key-file="$d/sa.key" \
      --service-cluster-ip-range=10.96.0.0/24 --endpoint-reconciler-type=none \
      --disable-admission-plugins=ServiceAccount --watch-cache=false \
      > "$d/apiserver.log" 2>&1 &
    echo $! > "$d/apiserver.pid"
    for _ in $(seq 1 900); do
      if curl -sf --cacert "$d/ca.crt" -H "Authorization: Bearer $admin" "https://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
        return
      fi
      alive apiserver || break
      sleep 0.1
    done
    stop_one apiserver
    # A restart keeps its port (the kubeconfig names it) unless the port was the problem.
    grep -q "address already in use" "$d/apiserver.log" && rm -f "$d/apiserver.port"
  done
  log "the API server did not become ready; its log:"; tail -20 "$d/apiserver.log" >&2; exit 1
}

kubeconfig() {
  local port; port=$(cat "$d/apiserver.port")
  tok() { grep ",$1,$1" "$d/tokens.csv" | cut -d, -f1; }
  cat > "$d/kubeconfig" <<KC
apiVersion: v1
kind: Config
current-context: admin
clusters:
- name: test
  cluster:
    server: https://127.0.0.1:$port
    certificate-authority: $d/ca.crt
contexts:
- name: admin
  context: {cluster: test, user: admin}
- name: dev
  context: {cluster: test, user: dev, namespace: team}
- name: dev2
  context: {cluster: test, user: dev2, namespace: team}
users:
- name: admin
  user: {token: $(tok admin)}
- name: dev
  user: {token: $(tok dev)}
- name: dev2
  user: {token: $(tok dev2)}
KC
  echo "$d/kubeconfig"
}

case $cmd in
  start)
    command -v etcd >/dev/null && command -v openssl >/dev/null && command -v curl >/dev/null \
      || { log "needs etcd-server, openssl and curl (scripts/deps.sh test installs them)"; exit 1; }
    certs; start_etcd; start_apiserver; kubeconfig ;;
  stop) stop_one apiserver; stop_one etcd ;;
  stop-apiserver) stop_one apiserver ;;
  start-apiserver) start_apiserver ;;
  revoke)
    user=${3:?user}
    stop_one apiserver
    grep -v ",$user,$user" "$d/tokens.csv" > "$d/tokens.csv.new" || true
    mv "$d/tokens.csv.new" "$d/tokens.csv"
    start_apiserver ;;
  compact)
    port=$(cat "$d/etcd.port")
    rev=$(curl -sf -X POST "http://127.0.0.1:$port/v3/kv/range" -d '{"key":"AA=="}' \
      | sed -n 's/.*"revision":"\([0-9]*\)".*/\1/p')
    [ -n "$rev" ] || { log "cannot read etcd's revision"; exit 1; }
    curl -sf -X POST "http://127.0.0.1:$port/v3/kv/compaction" -d "{\"revision\":\"$rev\",\"physical\":true}" >/dev/null
    echo "$rev" ;;
  *) log "unknown command $cmd"; exit 2 ;;
esac
