#!/bin/sh
# Alertmanager reads no environment variables, so the compose service starts through this
# script: it writes alertmanager.yml (next to this script: routes) plus the operators' channels
# from the environment to $1, then runs the rest of its arguments (Alertmanager). Both optional:
#   ALERT_EMAIL_TO     comma-separated addresses, mailed through the app's SMTP settings
#                      (EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD,
#                      EMAIL_USE_TLS, DEFAULT_FROM_EMAIL) with the app's defaults
#   ALERT_WEBHOOK_URL  gets Alertmanager's webhook JSON in a POST
# POSIX sh: it runs in the busybox of the prom/alertmanager image.
set -eu

out=${1:?usage: render.sh OUTPUT [COMMAND ...]}
shift

# A YAML single-quoted scalar, so passwords with quotes, '#' or ': ' stay what they are.
quote() {
  printf "'%s'" "$(printf '%s' "$1" | sed "s/'/''/g")"
}

email_to=${ALERT_EMAIL_TO:-}
webhook=${ALERT_WEBHOOK_URL:-}
if [ -n "$email_to" ] && [ -z "${EMAIL_HOST:-}" ]; then
  # The app falls back to mail files without EMAIL_HOST; Alertmanager has nowhere to put them.
  echo "render.sh: ALERT_EMAIL_TO is set but EMAIL_HOST is empty: set the SMTP server" >&2
  exit 1
fi

# Same reading as the app's envbool: empty means the default (on).
case $(printf '%s' "${EMAIL_USE_TLS:-1}" | tr '[:upper:]' '[:lower:]' | tr -d ' ') in
  1 | true | yes | on) require_tls=true ;;
  *) require_tls=false ;;
esac

{
  cat "$(dirname "$0")/alertmanager.yml"
  if [ -n "$email_to" ]; then
    echo "    email_configs:"
    echo "      - to: $(quote "$email_to")"
    echo "        from: $(quote "${DEFAULT_FROM_EMAIL:-Writers <writers@localhost>}")"
    echo "        smarthost: $(quote "$EMAIL_HOST:${EMAIL_PORT:-587}")"
    if [ -n "${EMAIL_HOST_USER:-}" ]; then
      echo "        auth_username: $(quote "$EMAIL_HOST_USER")"
      echo "        auth_password: $(quote "${EMAIL_HOST_PASSWORD:-}")"
    fi
    echo "        require_tls: $require_tls"
    echo "        send_resolved: true"
  fi
  if [ -n "$webhook" ]; then
    echo "    webhook_configs:"
    echo "      - url: $(quote "$webhook")"
    echo "        send_resolved: true"
  fi
} >"$out"

if [ -z "$email_to" ] && [ -z "$webhook" ]; then
  echo "render.sh: neither ALERT_EMAIL_TO nor ALERT_WEBHOOK_URL is set:" \
    "alerts only show in Alertmanager's UI and API (amtool alert query)" >&2
fi

[ $# -eq 0 ] || exec "$@"
