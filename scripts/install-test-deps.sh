#!/usr/bin/env bash
# Installs the Debian packages the test suite needs (test.sh calls it with its `debs` list),
# safely for the machine it runs on:
#   - only missing packages are installed, nothing is upgraded: systemd's own packages
#     (systemd-journal-remote, systemd-container) are pinned to the installed systemd's version;
#   - while apt runs, /usr/sbin/policy-rc.d (exit 101) keeps the packages' services from
#     starting; it is removed on every exit path (success, failure, Ctrl-C, TERM), and a
#     policy-rc.d that was there before is left alone;
#   - every service of a package this run installed is left disabled at boot (systemd units
#     with `systemctl disable`, which works offline where systemd is not PID 1, and SysV links
#     with `update-rc.d … disable`), so fail2ban or sshguard never start banning on the host's
#     real firewall after a reboot;
#   - syslog-ng (conflicts with rsyslog in Debian) is never installed: its .deb is unpacked
#     into /var/cache/sshwarden-test/syslog-ng for the lab to run privately.
# Usage: scripts/install-test-deps.sh PKG...        (as root)
# Env:   SSHWARDEN_APT_UPDATE=0  do not run `apt-get update` (tests: no network round trip)
#        SSHWARDEN_TEST_CACHE    cache dir (default /var/cache/sshwarden-test)
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "install-test-deps.sh: run as root" >&2; exit 1; }
cache="${SSHWARDEN_TEST_CACHE:-/var/cache/sshwarden-test}"
policy=/usr/sbin/policy-rc.d
ours=0
cleanup() {
  if [ "$ours" = 1 ]; then rm -f "$policy"; ours=0; fi
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
export DEBIAN_FRONTEND=noninteractive
apt_opts=(-y -qq --no-install-recommends --no-upgrade -o DPkg::Lock::Timeout=600)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }

missing=()
for p in "$@"; do
  [ "$p" = syslog-ng-core ] && continue # unpacked below, never installed
  installed "$p" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  # Pin systemd's binary packages to the installed systemd (never upgrade the host's init).
  sysver="$(dpkg-query -W -f='${Version}' systemd 2>/dev/null || true)"
  want=()
  for p in "${missing[@]}"; do
    case "$p" in
      systemd-journal-remote|systemd-container) [ -n "$sysver" ] && want+=("$p=$sysver") || want+=("$p") ;;
      *) want+=("$p") ;;
    esac
  done
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# sshwarden install-test-deps.sh: no service starts while test packages install\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    ours=1
    echo "install-test-deps.sh: created $policy for the install (removed on exit)" >&2
  fi
  before="$(dpkg-query -W -f='${Package}\t${Status}\n' 2>/dev/null | awk -F'\t' '$2 ~ /ok installed/ {print $1}' | sort)"
  echo "install-test-deps.sh: installing Debian packages: ${want[*]}" >&2
  if [ "${SSHWARDEN_APT_UPDATE:-1}" != 0 ]; then apt-get update -qq >&2; fi
  rc=0
  apt-get install "${apt_opts[@]}" "${want[@]}" >&2 || rc=$?
  after="$(dpkg-query -W -f='${Package}\t${Status}\n' 2>/dev/null | awk -F'\t' '$2 ~ /ok installed/ {print $1}' | sort)"
  # Every package this run added (asked for or pulled in): its services stay off at boot.
  new="$(comm -13 <(printf '%s\n' "$before") <(printf '%s\n' "$after"))"
  for pkg in $new; do
    while IFS= read -r f; do
      case "$f" in
        /lib/systemd/system/*.service|/lib/systemd/system/*.socket|/lib/systemd/system/*.timer|/usr/lib/systemd/system/*.service|/usr/lib/systemd/system/*.socket|/usr/lib/systemd/system/*.timer)
          unit="$(basename "$f")"
          case "$unit" in *@.*) continue ;; esac
          systemctl disable --quiet "$unit" >/dev/null 2>&1 || true
          ;;
        /etc/init.d/*)
          [ -x "$f" ] && update-rc.d "$(basename "$f")" disable >/dev/null 2>&1 || true
          ;;
      esac
    done < <(dpkg -L "$pkg" 2>/dev/null)
    echo "install-test-deps.sh: installed $pkg (its services, if any, left disabled)" >&2
  done
  [ "$rc" = 0 ] || { echo "install-test-deps.sh: apt-get install failed (status $rc)" >&2; exit "$rc"; }
fi

# syslog-ng for the lab: unpacked privately (Debian's syslog-ng-core conflicts with rsyslog).
for p in "$@"; do
  [ "$p" = syslog-ng-core ] || continue
  dest="$cache/syslog-ng"
  if [ ! -x "$dest/usr/sbin/syslog-ng" ]; then
    mkdir -p "$cache/debs"
    rm -f "$cache"/debs/syslog-ng-core_*.deb
    if ! (cd "$cache/debs" && apt-get download syslog-ng-core >&2 2>/dev/null); then
      # No package lists yet (a fresh container): fetch them once, then try again.
      [ "${SSHWARDEN_APT_UPDATE:-1}" != 0 ] && apt-get update -qq >&2 || true
      (cd "$cache/debs" && apt-get download syslog-ng-core >&2) || { echo "install-test-deps.sh: apt-get download syslog-ng-core failed" >&2; exit 1; }
    fi
    rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
    dpkg-deb -x "$cache"/debs/syslog-ng-core_*.deb "$dest.tmp"
    rm -rf "$dest" && mv "$dest.tmp" "$dest"
    echo "install-test-deps.sh: unpacked syslog-ng into $dest (not installed system-wide)" >&2
  fi
done
exit 0
