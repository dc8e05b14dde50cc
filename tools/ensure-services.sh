#!/usr/bin/env bash
# Make sure PostgreSQL (5432), MariaDB (3306) and RabbitMQ (5672) answer on
# 127.0.0.1, as the tests need them. A service that does not answer is
# installed from Debian's packages if missing and started; on a fresh
# install it is configured as the tests expect (PostgreSQL: trust auth on
# 127.0.0.1 and a database "test"; MariaDB: root without a password over
# TCP; RabbitMQ: guest/guest). Exits non-zero naming any that still fails.
set -uo pipefail

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

answers() { timeout 2 bash -c "echo > /dev/tcp/127.0.0.1/$1" 2>/dev/null; }

wait_port() {
    local port=$1 i
    for i in $(seq 1 120); do answers "$port" && return 0; sleep 0.5; done
    return 1
}

apt_install() {
    local pkgs=() p
    for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || pkgs+=("$p"); done
    [ ${#pkgs[@]} -eq 0 ] && return 1
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${pkgs[@]}"
    return 0
}

failed=()

if ! answers 5432; then
    echo "ensure-services: starting PostgreSQL"
    fresh=0; apt_install postgresql && fresh=1
    ver=$(ls /etc/postgresql | sort -V | tail -1)
    if [ "$fresh" = 1 ]; then
        hba=/etc/postgresql/$ver/main/pg_hba.conf
        $SUDO sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
    fi
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
    if wait_port 5432; then
        [ "$fresh" = 1 ] && $SUDO -u postgres createdb test 2>/dev/null || true
    else
        failed+=("PostgreSQL (127.0.0.1:5432)")
    fi
fi

if ! answers 3306; then
    echo "ensure-services: starting MariaDB"
    fresh=0; apt_install mariadb-server && fresh=1
    $SUDO start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
    if wait_port 3306; then
        if [ "$fresh" = 1 ]; then
            $SUDO mariadb -e "ALTER USER root@localhost IDENTIFIED VIA mysql_native_password USING PASSWORD(''); CREATE DATABASE IF NOT EXISTS test;" || true
        fi
    else
        failed+=("MariaDB (127.0.0.1:3306)")
    fi
fi

if ! answers 5672; then
    echo "ensure-services: starting RabbitMQ"
    apt_install rabbitmq-server || true
    $SUDO rabbitmq-server -detached
    wait_port 5672 || failed+=("RabbitMQ (127.0.0.1:5672)")
fi

# A RabbitMQ whose app was stopped (node up, port closed) is started again.
if ! answers 5672 && command -v rabbitmqctl >/dev/null; then
    $SUDO rabbitmqctl start_app >/dev/null 2>&1 && wait_port 5672
fi

if [ ${#failed[@]} -gt 0 ]; then
    echo "ensure-services: not answering: ${failed[*]}" >&2
    exit 1
fi
echo "ensure-services: PostgreSQL, MariaDB and RabbitMQ answer on 127.0.0.1"
