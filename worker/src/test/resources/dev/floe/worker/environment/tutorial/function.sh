function handler () {
  EVENT_DATA=$1
  echo "$EVENT_DATA" 1>&2;
  # Beyond the tutorial's echo: a count kept in /tmp shows the environment is reused, and two events
  # make the handler crash or overrun its timeout.
  COUNT=$(( $(cat /tmp/count 2>/dev/null || echo 0) + 1 ))
  echo $COUNT > /tmp/count
  case "$EVENT_DATA" in
    *crash*) exit 3 ;;
    *sleep*) sleep 5 ;;
  esac
  RESPONSE="Echoing request: '$EVENT_DATA' ($COUNT)"
  echo $RESPONSE
}
