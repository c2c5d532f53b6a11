// Which engines are remote, from the address the core reports (`EngineStatus.endpoint`): an
// engine reached over SSH, or over TCP to another machine, has its badge say so with the host.

const LOOPBACK = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);

/** The host an engine is reached on when it is not this machine, else null. */
export function remoteHost(endpoint: string): string | null {
  const match = /^(ssh|tcp):\/\/(?:[^@/]*@)?(\[[^\]]*\]|[^:/]+)/.exec(endpoint);
  const [, scheme, host] = match ?? [];
  if (!host) return null;
  // SSH to this machine is still a different account or sshd's view: say it is remote.
  if (scheme === "tcp" && LOOPBACK.has(host.toLowerCase())) return null;
  return host;
}
