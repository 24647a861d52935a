# One static binary (pure-Go SQLite, no cgo, the web UI embedded) on a
# minimal base.
FROM node:20 AS ui
WORKDIR /src/ui
COPY ui/package.json ui/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY ui/ ./
RUN npm run build

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=ui /src/internal/webui/dist/ internal/webui/dist/
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/artifactapi ./cmd/artifactapi \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/artifactapi /usr/local/bin/artifactapi
# Owned by the nonroot user (65532) so the volume starts writable.
COPY --from=build --chown=65532:65532 /out/data /data
# The embedded default keeps its files here; scale-out replicas only spool.
ENV DATA_DIR=/data LISTEN_ADDR=:8000
VOLUME /data
EXPOSE 8000
USER nonroot
ENTRYPOINT ["/usr/local/bin/artifactapi"]
