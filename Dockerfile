# marketo-bulk-mock: a static binary in an otherwise empty image.
#
# Build everything inside Docker (needs the official Rust image from Docker Hub):
#
#   docker build -t marketo-bulk-mock .
#
# Or package a binary compiled outside the image (no base image is pulled; BuildKit only
# runs the stages the target needs):
#
#   RUSTFLAGS="-C target-feature=+crt-static" \
#     cargo build --release --locked --target x86_64-unknown-linux-gnu
#   DOCKER_BUILDKIT=1 docker build --build-arg BINARY_SOURCE=prebuilt --target runtime \
#     -t marketo-bulk-mock .
#
# No `# syntax=` line on purpose: it would make BuildKit fetch a frontend image.

# Which stage provides /marketo-bulk-mock: `build` (compile here) or `prebuilt` (copy
# PREBUILT_BINARY from the build context).
ARG BINARY_SOURCE=build
ARG RUST_TARGET=x86_64-unknown-linux-gnu
ARG PREBUILT_BINARY=target/x86_64-unknown-linux-gnu/release/marketo-bulk-mock
ARG VERSION=0.1.0
# The repository's address, for the org.opencontainers.image.source label.
ARG SOURCE_URL=

# ---------------------------------------------------------------------------------------
FROM rust:1.95.0-slim-bookworm AS build
ARG RUST_TARGET
ENV CARGO_TERM_COLOR=never \
    RUSTFLAGS="-C target-feature=+crt-static"
WORKDIR /src

# Dependencies first, against stub sources, so that they stay cached while only the
# project's own code changes.
COPY Cargo.toml Cargo.lock ./
RUN mkdir src \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs \
    && cargo build --release --locked --target "$RUST_TARGET" \
    && rm -rf src

COPY fixtures ./fixtures
COPY assets ./assets
COPY src ./src
# Newer mtimes than the stub build's, so cargo rebuilds the crate itself.
RUN touch src/main.rs src/lib.rs \
    && cargo build --release --locked --target "$RUST_TARGET" \
    && cp "target/$RUST_TARGET/release/marketo-bulk-mock" /marketo-bulk-mock \
    && /marketo-bulk-mock --version

# ---------------------------------------------------------------------------------------
FROM scratch AS prebuilt
ARG PREBUILT_BINARY
COPY ${PREBUILT_BINARY} /marketo-bulk-mock

# ---------------------------------------------------------------------------------------
FROM ${BINARY_SOURCE} AS binary

# ---------------------------------------------------------------------------------------
FROM scratch AS runtime
ARG VERSION
ARG SOURCE_URL
LABEL org.opencontainers.image.title="marketo-bulk-mock" \
      org.opencontainers.image.description="A faithful, stateful emulator of Adobe Marketo's Bulk Import API for tests and demos" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.licenses="MIT OR Apache-2.0" \
      org.opencontainers.image.version="${VERSION}"

# Fixtures are compiled into the binary; override them with MARKETO_MOCK_FIXTURES and a
# mounted directory.
COPY --from=binary /marketo-bulk-mock /marketo-bulk-mock

ENV MARKETO_MOCK_HOST=0.0.0.0 \
    MARKETO_MOCK_PORT=8080
EXPOSE 8080
USER 65532:65532

# There is no shell in the image: the binary probes its own health route.
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 \
    CMD ["/marketo-bulk-mock", "healthcheck"]

ENTRYPOINT ["/marketo-bulk-mock"]
