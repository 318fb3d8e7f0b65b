# syntax=docker/dockerfile:1
# One Dockerfile for every binary of the workspace; the build argument APP
# picks which: concerts-gateway, bands, venues, concerts or seed.
#
#   docker build --build-arg APP=bands -t concerts-api/bands .
#   docker run --rm -p 3001:3001 -e BANDS_MONGODB_URI=mongodb://db.example:27017/bands concerts-api/bands
#
# docker-compose.yaml builds all five this way.

ARG APP=concerts-gateway

# ---- build -----------------------------------------------------------------
# rusqlite compiles its bundled SQLite and ring (rustls' cryptography, for
# MongoDB over TLS) its C parts with the image's C compiler; there is no
# OpenSSL, and reqwest is built without TLS (the services talk plain HTTP).
# The cargo registry and target folder are BuildKit caches shared by the five
# images, so the dependencies compile once, not once per image.
FROM rust:1-bookworm AS builder
ARG APP
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    case "$APP" in \
        concerts-gateway|bands|venues|concerts|seed) ;; \
        *) echo "APP must be one of: concerts-gateway bands venues concerts seed (got '$APP')" >&2; exit 1 ;; \
    esac \
 && cargo build --release --locked --bin "$APP" \
 && install -D -m 0755 "target/release/$APP" "/out/$APP"

# ---- run -------------------------------------------------------------------
# Slim Debian: the binary, the demo data and bash (the compose healthchecks use
# its /dev/tcp). TLS roots for MongoDB come compiled into the binary.
FROM debian:bookworm-slim
ARG APP
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app \
 && mkdir -p /app/var/data \
 && chown -R app:app /app
WORKDIR /app
COPY --from=builder /out/${APP} /usr/local/bin/${APP}
COPY data/wemaintain /app/data/wemaintain
# A fixed name for the entrypoint, whatever APP is; the process runs as PID 1
# and stops gracefully on the SIGTERM that `docker stop` sends.
RUN ln -s "/usr/local/bin/${APP}" /usr/local/bin/app

# Listen on every interface of the container (the binaries default to
# 127.0.0.1). Without *_MONGODB_URI a service keeps SQLite files under
# DATA_DIR: mount a volume there.
ENV APP=${APP} \
    BIND_ADDRESS=0.0.0.0 \
    DATA_DIR=/app/var/data \
    DEMO_DATA_DIR=/app/data/wemaintain \
    RUST_LOG=info \
    LOG_FORMAT=text
USER app
# The gateway listens on 3000, bands on 3001, venues on 3002, concerts on 3003.
EXPOSE 3000 3001 3002 3003
ENTRYPOINT ["/usr/local/bin/app"]
