#!/usr/bin/env bash
# A browser challenge from the command line, as a 3DS Server and a browser would drive it.
# Start the ACS and its DS front first (make run); ACS=http://host:port points the script
# elsewhere.
set -euo pipefail
ACS=${ACS:-http://127.0.0.1:8443}
cd "$(dirname "$0")/.."

# 1. the 3DS Server's AReq for the SMS challenge card, through the DS front (make run starts it
#    with --ds): the ARes says C and gives the acsURL
AREQ=$(ACS="$ACS" python3 -c 'import json,os; a=json.load(open("examples/areq-3ds-server-2.2.0.json")); a["acctNumber"]="4016000000000111"; a["threeDSServerURL"]=os.environ["ACS"]+"/ds/sink/rreq"; print(json.dumps(a))')
ARES=$(curl -s -X POST "$ACS/ds/areq" -H 'Content-Type: application/json' -d "$AREQ")
echo "ARes: $ARES"
DS_TRANS_ID=$(echo "$ARES" | python3 -c 'import json,sys; print(json.load(sys.stdin)["dsTransID"])')
ACS_TRANS_ID=$(echo "$ARES" | python3 -c 'import json,sys; print(json.load(sys.stdin)["acsTransID"])')

# 2. the browser posts the CReq (base64url JSON) to the acsURL: the answer is the code-entry page
CREQ=$(echo "$ARES" | python3 -c 'import base64,json,sys; a=json.load(sys.stdin); c={"threeDSServerTransID":a["threeDSServerTransID"],"acsTransID":a["acsTransID"],"messageType":"CReq","messageVersion":a["messageVersion"],"challengeWindowSize":"05"}; print(base64.urlsafe_b64encode(json.dumps(c).encode()).decode().rstrip("="))')
PAGE=$(curl -s -X POST "$ACS/3ds/challenge" --data-urlencode "creq=$CREQ" --data-urlencode "threeDSSessionData=my-session")
TOKEN=$(echo "$PAGE" | python3 -c 'import re,sys; print(re.search(r"name=\"token\" value=\"([^\"]+)\"", sys.stdin.read()).group(1))')

# 3. the code the cardholder received, from the outbox (GET /qa/outbox)
CODE=$(curl -s "$ACS/qa/outbox?acsTransID=$ACS_TRANS_ID" | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["code"])')
echo "code from the outbox: $CODE"

# 4. submit it: the final page auto-posts cres (and threeDSSessionData) to the notificationURL
FINAL=$(curl -s -X POST "$ACS/3ds/challenge/step" --data-urlencode "token=$TOKEN" -d action=submit -d "otp=$CODE")
echo "$FINAL" | python3 -c 'import base64,re,sys; c=re.search(r"name=\"cres\" value=\"([^\"]+)\"", sys.stdin.read()).group(1); print("final CRes:", base64.urlsafe_b64decode(c + "=" * (-len(c) % 4)).decode())'

# 5. the record: decision, challenge steps, result and RReq delivery
curl -s "$ACS/qa/transactions/$ACS_TRANS_ID" | python3 -c 'import json,sys; r=json.load(sys.stdin); print("result:", r["challenge"]["result"]); print("rreq:", r["challenge"]["rreq"]["status"], r["challenge"]["rreq"]["last_error"])'

# 6. the RReq went to the DS front, which relayed it to the threeDSServerURL (here the DS front's
#    stand-in 3DS Server) and the RRes back: the relay, as the DS keeps it
for _ in $(seq 50); do
  RELAY=$(curl -s "$ACS/ds/transactions/$DS_TRANS_ID")
  echo "$RELAY" | grep -q '"relayed"' && break
  sleep 0.1
done
echo "$RELAY" | python3 -c 'import json,sys; r=json.load(sys.stdin); print("rreq relayed:", [(e["outcome"], e["transStatus"], e.get("resultsStatus")) for e in r["rreqs"]])'
