# Installs the host packages listed in deps/host-packages.txt that are
# missing.  As root it runs apt-get; otherwise it prints the command and stops.
HOST_PKGS := $(shell grep -v '^\#' deps/host-packages.txt)
HOST_DEPS_STAMP := $(B)/.host-deps

$(HOST_DEPS_STAMP): deps/host-packages.txt
	@mkdir -p $(B); missing=$$(for p in $(HOST_PKGS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing host packages: $$missing"; \
	    (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing) >$(B)/host-deps.log 2>&1 || { tail -20 $(B)/host-deps.log; exit 1; }; \
	  else \
	    echo "missing host packages; run as root:"; echo "  apt-get install -y $$missing"; exit 1; \
	  fi; \
	fi
	@mkdir -p $(B); touch $@

host-deps: $(HOST_DEPS_STAMP)
.PHONY: host-deps
