#!/usr/bin/env bash
# An out-of-band challenge from the command line: the browser opens it, the issuer approves it,
# and the waiting page's reload shows the final CRes. Start the ACS and its DS front first (make run);
# ACS=http://host:port points the script elsewhere.
set -euo pipefail
ACS=${ACS:-http://127.0.0.1:8443}
cd "$(dirname "$0")/.."

# 1. the 3DS Server's AReq for the out-of-band card (challenge-oob), through the DS front
#    (make run starts it with --ds): the ARes says C
AREQ=$(ACS="$ACS" python3 -c 'import json,os; a=json.load(open("examples/areq-3ds-server-2.2.0.json")); a["acctNumber"]="4016000000000160"; a["threeDSServerURL"]=os.environ["ACS"]+"/ds/sink/rreq"; print(json.dumps(a))')
ARES=$(curl -s -X POST "$ACS/ds/areq" -H 'Content-Type: application/json' -d "$AREQ")
echo "ARes: $ARES"
DS_TRANS_ID=$(echo "$ARES" | python3 -c 'import json,sys; print(json.load(sys.stdin)["dsTransID"])')
ACS_TRANS_ID=$(echo "$ARES" | python3 -c 'import json,sys; print(json.load(sys.stdin)["acsTransID"])')

# 2. the browser posts the CReq: the page asks to approve in the banking app, and a push goes out
CREQ=$(echo "$ARES" | python3 -c 'import base64,json,sys; a=json.load(sys.stdin); c={"threeDSServerTransID":a["threeDSServerTransID"],"acsTransID":a["acsTransID"],"messageType":"CReq","messageVersion":a["messageVersion"],"challengeWindowSize":"05"}; print(base64.urlsafe_b64encode(json.dumps(c).encode()).decode().rstrip("="))')
PAGE=$(curl -s -X POST "$ACS/3ds/challenge" --data-urlencode "creq=$CREQ")
TOKEN=$(echo "$PAGE" | python3 -c 'import re,sys; print(re.search(r"name=\"token\" value=\"([^\"]+)\"", sys.stdin.read()).group(1))')
echo "push: $(curl -s "$ACS/qa/outbox?acsTransID=$ACS_TRANS_ID" | python3 -c 'import json,sys; e=json.load(sys.stdin)[-1]; print(e["text"], e["link"])')"

# 3. the issuer's app approves (or open the push's link in a browser and press Approve)
curl -s -X POST "$ACS/issuer/oob/$ACS_TRANS_ID" -H 'Content-Type: application/json' -d '{"decision": "approve"}'
echo

# 4. the waiting page reloads itself (GET with its token): now it is the final page with the CRes
FINAL=$(curl -s -G "$ACS/3ds/challenge/step" --data-urlencode "token=$TOKEN" -d n=1)
echo "$FINAL" | python3 -c 'import base64,re,sys; c=re.search(r"name=\"cres\" value=\"([^\"]+)\"", sys.stdin.read()).group(1); print("final CRes:", base64.urlsafe_b64decode(c + "=" * (-len(c) % 4)).decode())'

# 5. the record: the steps (push, approval) and the result
curl -s "$ACS/qa/transactions/$ACS_TRANS_ID" | python3 -c 'import json,sys; r=json.load(sys.stdin); print("steps:", [s["event"] for s in r["challenge"]["steps"]]); print("result:", r["challenge"]["result"]["trans_status"])'

# 6. the RReq went to the DS front, which relayed it to the threeDSServerURL (here the DS front's
#    stand-in 3DS Server) and the RRes back: the relay, as the DS keeps it
for _ in $(seq 50); do
  RELAY=$(curl -s "$ACS/ds/transactions/$DS_TRANS_ID")
  echo "$RELAY" | grep -q '"relayed"' && break
  sleep 0.1
done
echo "$RELAY" | python3 -c 'import json,sys; r=json.load(sys.stdin); print("rreq relayed:", [(e["outcome"], e["transStatus"], e.get("resultsStatus")) for e in r["rreqs"]])'
