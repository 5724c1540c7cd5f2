# shellcheck shell=bash
# Debian's Chromium for the learner-path browser test (tests/test_browser.py). SOURCE this file, then:
#     chromium_install_if_missing && export PHARMA_KIT_REQUIRE_BROWSER=1
# Playwright for Python drives this binary; it never downloads a browser of its own.
chromium_install_if_missing() {
    if command -v chromium >/dev/null 2>&1; then return 0; fi
    echo "[chromium.sh] chromium not found; installing Debian's 'chromium' package" >&2
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null \
        || { echo "[chromium.sh] apt-get install chromium failed" >&2; return 1; }
    command -v chromium >/dev/null 2>&1
}
