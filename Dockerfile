# freight-guard in a container: the static binary on an empty base (for a Kargo verification
# Job, or a CI step that runs containers). Build: docker build -t freight-guard .
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
ARG FREIGHT_GUARD_COMMIT=unknown
ENV FREIGHT_GUARD_COMMIT=${FREIGHT_GUARD_COMMIT}
RUN RUSTFLAGS="-C target-feature=+crt-static" \
    cargo build --release --locked --target x86_64-unknown-linux-gnu \
 && ./target/x86_64-unknown-linux-gnu/release/freight-guard --version

FROM scratch
COPY --from=build /src/target/x86_64-unknown-linux-gnu/release/freight-guard /freight-guard
ENTRYPOINT ["/freight-guard"]
