// Stands in for docker-modem's ssh:// agent in the bundle. micado reaches engines over
// unix sockets and TCP with TLS; the real module loads ssh2 (and its native addon) at
// start-up, ~50 ms of every command.
module.exports = function sshAgent() {
  throw new Error(
    'ssh:// engine addresses are not supported by micado: use a socket or TCP with TLS',
  );
};
