#!/usr/bin/env bash
# Installs the few Debian packages the app uses, when missing and apt-get is usable. Never fails the build:
# on a machine without apt (macOS, Windows, Community Cloud's packages.txt handles it there) the app still runs
# and the Home page says what is unavailable.
set -u
need=()
# fonts: so headless chromium screenshots show Korean and emoji instead of empty boxes
for pkg in dataset-fashion-mnist chromium espeak-ng ffmpeg fonts-noto-cjk fonts-noto-color-emoji; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
[ ${#need[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "apt-get not found; not installed: ${need[*]} (the app runs without them and says what is missing)"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "Not root and no passwordless sudo; please run: sudo apt-get install ${need[*]}"; exit 0; fi
fi
echo "Installing Debian packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null 2>&1 || true
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
  || echo "apt-get could not install some of: ${need[*]} (continuing)"
exit 0
