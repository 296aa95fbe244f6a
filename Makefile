# The two commands of the quick start, and the checks CI runs.
.PHONY: run test check cluster build build-wasip2

# Run the chat on http://127.0.0.1:3000 (Spin if installed, else the native host).
run:
	scripts/run.sh $(ARGS)

# Run a local cluster on http://127.0.0.1:3000: sqld, Redis, three `spin up` processes and
# HAProxy in front (Ctrl-C stops it all). Needs Node.js, haproxy, redis-server, sqld, Spin.
cluster:
	scripts/prerequisites.sh build
	node scripts/cluster.mjs $(ARGS)

# Build the components: WASIp3 for Spin 4 (spin.toml), or WASIp2 for Spin 3.x and Fermyon
# Cloud (spin-wasip2.toml, written by the build).
build:
	scripts/build.sh wasip3
build-wasip2:
	scripts/build.sh wasip2

# Run every test (installs the wasm32-wasip2 target and redis-server if missing).
test:
	scripts/test.sh

# Formatting and lints, natively and for the wasm components of both flavours, and ESLint
# over the page (scripts/prerequisites.sh installs it with the browser suite's packages).
check:
	cargo fmt --all --check
	cargo clippy --locked --all-targets -- -D warnings
	cargo clippy --locked --target wasm32-wasip2 -p chat-spin -p auth -p users -p conversations -p events -p web -- -D warnings
	cargo clippy --locked --target wasm32-wasip2 --profile wasip2 --no-default-features --features wasip2 \
		-p auth -p users -p conversations -p events -p web -- -D warnings
	cargo clippy --locked --target wasm32-wasip2 --profile wasip2 -p chat-spin-wasip2 -- -D warnings
	cd tests/browser && npm run lint --silent
