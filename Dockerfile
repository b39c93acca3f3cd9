# One image for both sides: `zebra core run` or `zebra edge run` (deploy/hub, deploy/site).
# The base is pinned by version; pin it by digest too where your registry policy asks for it.

# Build stage: every dependency (tsx, esbuild), then `npm run build` writes dist/: the code as
# JavaScript, the files it reads (SQL, HTML, YAML, .proto) and the console's bundled script.
FROM node:20.18.1-bookworm-slim AS build
WORKDIR /src
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json .npmrc ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY bin ./bin
COPY cli ./cli
COPY proto ./proto
COPY models ./models
COPY edge ./edge
COPY core ./core
RUN npm run build

# The image: production dependencies only (no typescript, tsx or esbuild) and dist/, laid out as
# the source tree is (bin/zebra.js, core/deploy/…), with no .ts file.
FROM node:20.18.1-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip NODE_ENV=production
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev
COPY --from=build /src/dist ./
COPY deploy/healthcheck.js ./deploy/healthcheck.js
# The state folder (audit key, device key, spool, model cache) belongs to the user the image
# runs as: a named volume mounted here starts with this owner and mode, not root's.
RUN mkdir -p /var/lib/zebra && chown node:node /var/lib/zebra && chmod 700 /var/lib/zebra
USER node
VOLUME /var/lib/zebra
ENTRYPOINT ["node", "bin/zebra.js"]
