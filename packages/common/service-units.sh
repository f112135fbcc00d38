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

# engine_unit DIR NAME DESCRIPTION DOCKERD DAEMON_JSON [PRE...]: the unit of a Docker
# engine on its daemon.json (a node's, the manager's), each PRE an ExecStartPre line run
# before every start (what a dead engine or a reboot left behind).
engine_unit() {
  # Positional only: a shell function's variables are the caller's (no local in sh).
  _pre=''
  _i=0
  for _line in "$@"; do
    _i=$((_i + 1))
    [ "$_i" -gt 5 ] && _pre="${_pre}ExecStartPre=$_line
"
  done
  write_unit "$1" "$2" <<UNIT
[Unit]
Description=$3
Wants=network-online.target
After=network-online.target

[Service]
Type=notify
${_pre}ExecStart=$4 --config-file $5
ExecReload=/bin/kill -s HUP \$MAINPID
Restart=always
RestartSec=2
TimeoutStartSec=120
# As Debian's docker.service: the engine manages its containerd and containers' cgroups.
Delegate=yes
KillMode=process
LimitNOFILE=infinity
LimitNPROC=infinity
TasksMax=infinity
OOMScoreAdjust=-500

[Install]
WantedBy=multi-user.target
UNIT
}
