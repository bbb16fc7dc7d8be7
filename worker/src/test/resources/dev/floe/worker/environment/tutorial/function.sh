function handler () {
  EVENT_DATA=$1
  echo "$EVENT_DATA" 1>&2;
  # Beyond the tutorial's echo: a count kept in /tmp shows the environment is reused, one event makes
  # the handler report an error through the Runtime API itself (the bootstrap's REQUEST_ID is in
  # scope), and two make it crash or overrun its timeout.
  COUNT=$(( $(cat /tmp/count 2>/dev/null || echo 0) + 1 ))
  echo $COUNT > /tmp/count
  case "$EVENT_DATA" in
    *fail*)
      curl -sS -o /dev/null -H "Lambda-Runtime-Function-Error-Type: Handler.BadInput" \
        -d '{"errorType":"Handler.BadInput","errorMessage":"no name in the event"}' \
        "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/$REQUEST_ID/error" ;;
    *crash*) exit 3 ;;
    *sleep*) sleep 5 ;;
  esac
  RESPONSE="Echoing request: '$EVENT_DATA' ($COUNT)"
  echo $RESPONSE
}
