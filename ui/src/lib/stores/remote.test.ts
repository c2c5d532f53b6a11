import { describe, expect, it } from "vitest";
import { remoteHost } from "./remote";

describe("remoteHost", () => {
  it("names the host of SSH and TCP engines, without the user or port", () => {
    expect(remoteHost("ssh://me@lab-box:2222/run/podman/podman.sock")).toBe("lab-box");
    expect(remoteHost("ssh://build")).toBe("build");
    expect(remoteHost("tcp://10.0.0.5:2375")).toBe("10.0.0.5");
    expect(remoteHost("ssh://root@[::1]:22")).toBe("[::1]");
  });

  it("says local sockets, pipes and loopback TCP are not remote", () => {
    expect(remoteHost("unix:///run/podman/podman.sock")).toBeNull();
    expect(remoteHost("npipe:////./pipe/docker_engine")).toBeNull();
    expect(remoteHost("tcp://127.0.0.1:2375")).toBeNull();
    expect(remoteHost("tcp://localhost:2375")).toBeNull();
    expect(remoteHost("")).toBeNull();
  });
});
