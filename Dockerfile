# anypick image: the CLI (serve, bgp, proxy, report, check) plus BIRD 2 for the lab router.
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends bird2 bind9-dnsutils iproute2 ca-certificates g++ make python3 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/anypick
COPY package.json package-lock.json tsconfig.json binding.gyp ./
# npm ci's install hook builds the native addons (batched UDP I/O) from scripts/ and native/.
COPY scripts ./scripts
COPY native ./native
RUN npm ci --no-audit --no-fund
COPY src ./src
COPY zones ./zones
COPY bgp ./bgp
COPY lab ./lab
COPY geo-data ./geo-data
COPY bin ./bin
RUN npx tsc -p . && npm prune --omit=dev
ENTRYPOINT ["node", "/opt/anypick/dist/src/cli/main.js"]
CMD ["--help"]
