#!/usr/bin/env bash
# The container test: builds the Dockerfile as written with podman and runs the image for real, on loopback only.
# No image registry is reachable here, so ../shared/tools/container-base.sh first makes a local stand-in for the
# Dockerfile's node:<major>-bookworm-slim base (Debian's packages and a Node binary from the npm registry).
# Checks: production without keys exits non-zero with one line; with a key made by the image's own CLI and mounted
# read-only, and a Redis on loopback, /readyz is 200, a registration and a password grant succeed, the process is
# not root, and `podman stop` ends it with exit code 0 within the grace. Prints the image size.
# Usage: bash test/container/run.sh   (as root; CI runs it from .ci/run)
set -euo pipefail
cd "$(dirname "$0")/../.."

tools=../shared/tools
if [ ! -f "$tools/container-base.sh" ]; then
  echo "container test: $tools/container-base.sh is missing (CI lays shared/ beside the clone of this repository)" >&2
  exit 1
fi
passed=0
failed=0
check() { # check NAME COMMAND...: runs the command, counts and prints the outcome
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); echo "ok - $name"; else failed=$((failed + 1)); echo "not ok - $name"; fi
}
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
# HTTP from the host with node's fetch (no curl needed): prints the status, then the body.
http() { node -e "fetch(process.argv[1],{method:process.argv[2]??'GET',headers:{'content-type':process.argv[4]??'application/json'},body:process.argv[3]}).then(async(r)=>console.log(r.status+'\n'+await r.text()),()=>console.log('000'))" "$@"; }

base=$(sed -nE 's/^FROM[[:space:]]+node:([0-9]+)([.0-9]*)-bookworm-slim.*/\1 \1\2/p' Dockerfile | head -1)
major=${base%% *}
full=${base##* }
bash "$tools/container-base.sh" "$major" >/dev/null
# The stand-in is tagged by major; the Dockerfile names an exact version.
podman image exists "docker.io/library/node:${full}-bookworm-slim" || podman tag "docker.io/library/node:${major}-bookworm-slim" "docker.io/library/node:${full}-bookworm-slim"
export CONTAINERS_CONF
CONTAINERS_CONF=$(bash "$tools/container-base.sh" --conf)

# The name a release builds (npm run release -- --image): tokensmith:<version>.
image=localhost/$(node .ci/release.mjs --image-name)
# The docker format keeps the Dockerfile's HEALTHCHECK (OCI images have none).
podman build --pull=never --isolation=chroot --network=host --format docker -q -t "$image" . >/dev/null
size=$(podman image inspect "$image" --format '{{.Size}}')
base_size=$(podman image inspect "docker.io/library/node:${full}-bookworm-slim" --format '{{.Size}}')
echo "image size: $((size / 1024 / 1024)) MB, of which the service (production dependencies and dist/) $(((size - base_size) / 1024 / 1024)) MB over node:${full}-bookworm-slim (the stand-in here: $((base_size / 1024 / 1024)) MB)"

work=$(mktemp -d /tmp/tokensmith-container.XXXXXX)
name=tokensmith-ci-$$
redis_pid=
cleanup() {
  podman rm -f "$name" >/dev/null 2>&1 || true
  [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
# Without systemd here podman cannot schedule health checks: one-off runs go without, and its complaints about the
# service's own schedule go to a log file (the check below runs the HEALTHCHECK by hand).
run() { podman run --runtime runc --network=host "$@"; }

# 1. Production without keys: a non-zero exit and one line naming KEYS_DIR.
port=$(free_port)
set +e
run --rm --no-healthcheck -e ISSUER=https://auth.example.com -e STORE=memory -e PORT="$port" -e HOST=127.0.0.1 "$image" >"$work/nokey.out" 2>"$work/nokey.err"
code=$?
set -e
check "production without keys exits non-zero ($code)" test "$code" -ne 0
check "with one line naming KEYS_DIR: $(head -c 120 "$work/nokey.err")" test "$(wc -l <"$work/nokey.err")" -eq 1 -a -n "$(grep '^configuration error: KEYS_DIR: ' "$work/nokey.err")"

# 2. A key made the documented way: the image's own CLI, as its node user, in a folder that user owns.
mkdir -p "$work/keys" && chown 1000:1000 "$work/keys" && chmod 700 "$work/keys"
run --rm --no-healthcheck -v "$work/keys:/keys" "$image" node dist/cli/main.js keys rotate >"$work/rotate.out"
key=$(find "$work/keys" -name '*.pem' | head -1)
check "keys rotate inside the image wrote a key" test -n "$key"
check "the key is mode 0600, owned by uid 1000" test "$(stat -c '%a %u' "$key")" = "600 1000"

# 3. The service with the key mounted read-only and a private Redis on loopback.
redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no >"$work/redis.log" 2>&1 &
redis_pid=$!
port=$(free_port)
run -d --name "$name" -v "$work/keys:/keys:ro" -e ISSUER="http://127.0.0.1:$port" -e PORT="$port" -e HOST=127.0.0.1 \
  -e REDIS_URL="redis://127.0.0.1:$redis_port" "$image" >/dev/null 2>"$work/podman.log"
ready=000
for _ in $(seq 1 100); do
  ready=$(http "http://127.0.0.1:$port/readyz" | head -1)
  [ "$ready" = 200 ] && break
  sleep 0.2
done
check "/readyz answers 200" test "$ready" = 200
registered=$(http "http://127.0.0.1:$port/account/register" POST '{"username":"container-user","password":"correct horse battery"}' | head -1)
check "a registration succeeds ($registered)" test "$registered" = 201
grant=$(http "http://127.0.0.1:$port/oauth/token" POST 'grant_type=password&client_id=web&username=container-user&password=correct+horse+battery' application/x-www-form-urlencoded)
check "a password grant succeeds ($(head -1 <<<"$grant"))" test "$(head -1 <<<"$grant")" = 200
check "and returns an access token" grep -q '"access_token":"eyJ' <<<"$grant"
uid=$(podman exec "$name" sh -c 'grep ^Uid: /proc/1/status' | awk '{print $2}')
check "the process is not root (uid $uid)" test "$uid" != 0 -a -n "$uid"
check "the image's HEALTHCHECK passes" podman healthcheck run "$name" 2>>"$work/podman.log"

# 4. podman stop: SIGTERM, a graceful exit with code 0, well within the 10 s grace.
started=$(date +%s%N)
podman stop -t 10 "$name" >/dev/null 2>>"$work/podman.log"
elapsed_ms=$((($(date +%s%N) - started) / 1000000))
exit_code=$(podman inspect "$name" --format '{{.State.ExitCode}}')
check "podman stop ends it with exit code 0 ($exit_code) within the grace (${elapsed_ms} ms)" test "$exit_code" = 0 -a "$elapsed_ms" -lt 10000

echo "container: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
