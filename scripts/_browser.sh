# Sourced by scripts/test: Debian's Chromium for the browser tests (tests/test_browser.py).
# Installs it with apt-get when /usr/bin/chromium is missing (as root, or with sudo that
# needs no password). Without it the browser tests are skipped, except in CI (CI=true),
# where they fail.
if [ ! -x /usr/bin/chromium ]; then
    if command -v apt-get >/dev/null 2>&1; then
        _tp_sudo=""
        [ "$(id -u)" -eq 0 ] || _tp_sudo="sudo -n"
        echo "Installing Chromium for the browser tests (apt-get) ..." >&2
        if ! { $_tp_sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null \
            && $_tp_sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
                --no-install-recommends chromium >/dev/null; }; then
            echo "Could not install Chromium; the browser tests will not run here." >&2
        fi
        unset _tp_sudo
    else
        echo "No /usr/bin/chromium and no apt-get: the browser tests will not run here." >&2
    fi
fi
