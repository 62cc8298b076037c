#!/usr/bin/env bash
# The demo on an embedded SQLite store: prepare the store, provision a demo agent
# and booth, then run the hub in the foreground on 127.0.0.1.
set -euo pipefail
DATA_DIR="${1:-var}"
PORT="${2:-8080}"
BIN="$(dirname "$0")/../.venv/bin"
ADMIN=("$BIN/xiaowu-admin" --data-dir "$DATA_DIR" --json)

"${ADMIN[@]}" init --admin-password "${XIAOWU_ADMIN_PASSWORD:-$(head -c 12 /dev/urandom | base64 | tr -d '/+=')}" >/dev/null
AGENT_PW="$(head -c 12 /dev/urandom | base64 | tr -d '/+=')"
if "${ADMIN[@]}" agent list | grep -q '"username": "demo"'; then
  echo "demo agent exists (password set on first run; see $DATA_DIR/demo-credentials.txt)"
else
  "${ADMIN[@]}" agent add demo --password "$AGENT_PW" --name "演示坐席" \
    --skill housing --skill emergency --skill market --skill planning \
    --skill disabled --skill identity --skill policy >/dev/null
  umask 077
  printf 'agent login: demo\npassword: %s\n' "$AGENT_PW" > "$DATA_DIR/demo-credentials.txt"
fi
if ! "${ADMIN[@]}" booth list | grep -q '石门镇新村村'; then
  "${ADMIN[@]}" booth add "石门镇新村村便民服务站" --region 330110101001 \
    --region-name "余杭区 · 石门镇 · 新村村" | tee "$DATA_DIR/demo-booth.json"
fi
echo "------------------------------------------------------------------"
cat "$DATA_DIR/demo-credentials.txt"
echo "hub:      http://127.0.0.1:$PORT/healthz"
echo "catalog:  http://127.0.0.1:$PORT/api/catalog"
echo "metrics:  http://127.0.0.1:$PORT/metrics"
echo "------------------------------------------------------------------"
exec "$BIN/xiaowu-server" --data-dir "$DATA_DIR" --port "$PORT"
