#!/usr/bin/env bash
# The shop flow of docs/faceocclude.md, run against the real occlusion server on loopback:
# a viewer watches (watching time raises her level), likes the stream, buys one organ with
# a receipt signed by the payment provider's webhook secret (HMAC-SHA256), then sends a
# forged, an underpaid and a replayed receipt. Prints every request as the curl command a
# shop would run and the server's reply as it came, then the server's payment log lines.
# The docs paste this output; tests/occlusion_payments.rs runs it and checks the docs still
# match (ports, watched seconds and frame counts aside).
#
#   bash examples/occlusion-server/shop-flow.sh
#
# Needs the server built (cargo build --release --example occlusion-server), nginx with the
# RTMP module (scripts/setup.sh), curl and openssl. Environment: SHOP_HTTP_PORT (18089),
# SHOP_RTMP_PORT (19471), OCCLUSION_SERVER (the server binary, default this tree's release
# build).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN="${OCCLUSION_SERVER:-$ROOT/target/release/examples/occlusion-server}"
HTTP_PORT="${SHOP_HTTP_PORT:-18089}"
RTMP_PORT="${SHOP_RTMP_PORT:-19471}"
[ -x "$BIN" ] || { echo "$0: $BIN missing: cargo build --release --example occlusion-server" >&2; exit 1; }
for tool in curl openssl nginx; do
  command -v "$tool" >/dev/null || { echo "$0: $tool missing (scripts/setup.sh)" >&2; exit 1; }
done

# The demo's webhook secret and prices; a shop gets its secret from its payment provider.
export FACEKIT_PAYMENT_SECRET=whsec_demo_0123456789abcdef
PRICES=nose=1.99,cheeks=0.99,mouth=2.99,eyes=4.99
POLICY="watch-seconds >= 5 -> level 1; likes >= 1 -> level 2"
BASE="http://127.0.0.1:$HTTP_PORT"

WORK="$(mktemp -d)"
mkfifo "$WORK/stdin"
"$BIN" --egress rtmp --start-nginx --source astronaut --port "$RTMP_PORT" \
  --http "127.0.0.1:$HTTP_PORT" --prices "$PRICES" --policy "$POLICY" \
  <"$WORK/stdin" >/dev/null 2>"$WORK/server.log" &
SERVER=$!
exec 3>"$WORK/stdin"
stop() {
  # Closing stdin stops the server and its nginx; kill it if it does not stop.
  exec 3>&-
  for _ in $(seq 50); do kill -0 "$SERVER" 2>/dev/null || break; sleep 0.2; done
  kill "$SERVER" 2>/dev/null || true
  wait "$SERVER" 2>/dev/null || true
  rm -rf "$WORK"
}
trap stop EXIT
for i in $(seq 300); do
  curl -sf "$BASE/list" >/dev/null 2>&1 && break
  kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
  [ "$i" -lt 300 ] || { echo "$0: the server did not come up" >&2; cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.2
done

sign() { printf %s "$1" | openssl dgst -sha256 -hmac "$2" | sed 's/.*= //'; }
get() { # path: prints the request and the reply
  echo "\$ curl -s \"$BASE$1\""
  { curl -s "$BASE$1"; echo; } | sed '/^$/d'   # the reply on its own lines, one newline or none
  echo
}
post() { # viewer region receipt secret: prints the request, the reply and the HTTP status
  local sig
  sig="$(sign "$3" "$4")"
  echo "\$ receipt='$3'"
  echo "\$ curl -s -w '\nHTTP %{http_code}\n' -X POST \"$BASE/viewers/$1/unlock?region=$2\" \\"
  echo "    -H \"Payment-Signature: sha256=$sig\" --data-binary \"\$receipt\""
  curl -s -w '\nHTTP %{http_code}\n' -X POST "$BASE/viewers/$1/unlock?region=$2" \
    -H "Payment-Signature: sha256=$sig" --data-binary "$3"
  echo
}

echo "# Alice starts watching: everything is covered."
get "/play?viewer=alice"
echo "# Her watching time counts (policy: watch-seconds >= 5 -> level 1): her eyes show."
for _ in $(seq 100); do
  curl -s "$BASE/state?viewer=alice" | grep -q '"rendition":"level-1"' && break
  sleep 0.2
done
get "/state?viewer=alice"
echo "# She likes the stream (likes >= 1 -> level 2): eyes and mouth show."
get "/event?viewer=alice&kind=likes&amount=1"
echo "# She buys the nose (1.99 EUR); the provider's signed receipt comes back to the server."
post alice nose '{"id":"rcpt_2001","viewer":"alice","region":"nose","amount":199,"currency":"EUR"}' \
  "$FACEKIT_PAYMENT_SECRET"
echo "# A receipt for the mouth not signed by the provider (another key): refused."
post alice mouth '{"id":"rcpt_2002","viewer":"alice","region":"mouth","amount":299,"currency":"EUR"}' \
  whsec_not_the_providers_secret
echo "# The cheeks paid 0.50 EUR instead of 0.99: refused."
post alice cheeks '{"id":"rcpt_2003","viewer":"alice","region":"cheeks","amount":50,"currency":"EUR"}' \
  "$FACEKIT_PAYMENT_SECRET"
echo "# The nose receipt sent again: refused."
post alice nose '{"id":"rcpt_2001","viewer":"alice","region":"nose","amount":199,"currency":"EUR"}' \
  "$FACEKIT_PAYMENT_SECRET"
echo "# She keeps what she had: her level, and the nose she bought."
get "/state?viewer=alice"
get "/payments"
get "/stats"
echo "# The server's log (payment and watching-time lines):"
grep -E '^(payment|viewer alice: )' "$WORK/server.log"
