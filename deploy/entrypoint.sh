#!/bin/sh
# The container's commands: `worker` (migrations first, then the worker), `web` (the editors' page),
# `migrate`, `healthcheck`, or any bot command (`status`, `history`, ...).
set -eu
case "${1:-worker}" in
    worker)
        bot db upgrade
        exec bot run ;;
    web)
        exec bot web --host 0.0.0.0 --port "${PORT:-8080}" ;;
    migrate)
        exec bot db upgrade ;;
    healthcheck)
        if [ "${BOT_ROLE:-worker}" = web ]; then
            exec python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/' % os.environ.get('PORT', '8080'), timeout=10)"
        fi
        exec bot status > /dev/null ;;
    *)
        exec bot "$@" ;;
esac
