# micado packages: what a boot starts, as systemd services where the machine runs
# systemd (a cloud VM), so that a crash or a reboot brings it back. Sourced by the
# packages' execute.sh. Where the machine has no systemd (micado's local namespaces),
# the units are written all the same, under ROOT/systemd: micado supervises what runs
# there, and a unit's Exec lines are the boot entry a "reboot" runs again.

# sd_booted(3): this machine was booted by systemd.
systemd_booted() { [ -d /run/systemd/system ]; }

# units_dir ROOT: where the units go.
units_dir() {
  if systemd_booted; then echo /etc/systemd/system; else echo "$1/systemd"; fi
}

# write_unit DIR NAME: the unit on stdin, written whole (a reader never sees half).
write_unit() {
  mkdir -p "$1" && cat >"$1/$2.$$" && chmod 644 "$1/$2.$$" && mv "$1/$2.$$" "$1/$2"
}

# enable_unit NAME: started at every boot from now on, and now (without waiting for it).
enable_unit() {
  systemctl daemon-reload && systemctl enable --quiet "$1" && systemctl start --no-block "$1"
}

# retire_unit NAME...: stopped and no longer started at boot (a distribution's service
# that would hold what micado's own holds: docker0, port 80).
retire_unit() {
  systemctl disable --now --quiet "$@" 2>/dev/null || true
}
