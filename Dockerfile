# syntax=docker/dockerfile:1
# imgauto container image: one binary for both controllers.
#   docker build -t ghcr.io/imgauto/imgauto:latest .
#   docker run --rm ghcr.io/imgauto/imgauto:latest --version
# manifests/deploy runs it as `imgauto reflector ...` and `imgauto automation ...`.
# For the KubeVela fluxcd addon, which passes flags only, build the targets that bake the mode
# into the entrypoint and push them under the addon's image paths (see manifests/kubevela):
#   docker build --target reflector  -t REGISTRY/fluxcd/image-reflector-controller:v0.30.0 .
#   docker build --target automation -t REGISTRY/fluxcd/image-automation-controller:v0.36.0 .

FROM debian:12 AS builder
# Build-time packages from scripts/install-deps.sh: toolchain and -dev libraries only (no test,
# benchmark or demo packages).
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        cmake g++ ninja-build pkg-config \
        libboost-dev libgit2-dev libgpgme-dev libre2-dev libssl-dev libyaml-cpp-dev \
        nlohmann-json3-dev prometheus-cpp-dev zlib1g-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake --preset release -DIMGAUTO_BUILD_TESTS=OFF -DIMGAUTO_BUILD_BENCH=OFF \
    && cmake --build build/release --target imgauto \
    && strip --strip-unneeded build/release/cmd/imgauto \
    && install -D -m 0755 build/release/cmd/imgauto /out/usr/local/bin/imgauto

FROM debian:12-slim AS runtime
# Runtime libraries of the -dev packages above (libgit2-1.5 brings libssh2-1, libmbedtls14,
# libhttp-parser2.9 and libpcre2-8-0; libgpgme11 brings gpg). gpg-agent holds the signing key
# while a commit is signed; ca-certificates verifies registries and git remotes. git and
# openssh-client push when an automation sets push.options (libgit2 1.5 cannot send them).
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        ca-certificates gpg gpg-agent git openssh-client \
        libgit2-1.5 libgpgme11 libre2-9 libssl3 libyaml-cpp0.7 zlib1g \
        libprometheus-cpp-core1.0 libprometheus-cpp-pull1.0 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=builder /out/ /
# Fail the build if a shared library is missing.
RUN ! ldd /usr/local/bin/imgauto | grep 'not found'
# nobody:nogroup; numeric so that runAsNonRoot can verify it.
USER 65534:65534
ENV HOME=/tmp
WORKDIR /tmp

# Drop-in images for the KubeVela fluxcd addon (mode fixed, flags appended by the addon).
FROM runtime AS reflector
ENTRYPOINT ["/usr/local/bin/imgauto", "reflector"]

FROM runtime AS automation
ENTRYPOINT ["/usr/local/bin/imgauto", "automation"]

# Default target: the plain binary.
FROM runtime AS imgauto
ENTRYPOINT ["/usr/local/bin/imgauto"]
