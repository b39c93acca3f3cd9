# One image for both sides: `zebra core run` or `zebra edge run`.
FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip NODE_ENV=production
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev
COPY bin ./bin
COPY cli ./cli
COPY proto ./proto
COPY models ./models
COPY edge ./edge
COPY core ./core
USER node
ENTRYPOINT ["node", "bin/zebra.js"]
