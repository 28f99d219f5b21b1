#!/usr/bin/env bash
# Create the benchmark's own environments for the peer tools (never the project's .venv).
#
#   bash bench/setup_peers.sh            # Python peers (+ R survey when apt-get is available)
#   SKIP_R=1 bash bench/setup_peers.sh   # Python peers only
#
# One Python 3.12 venv holds every Python peer: on 3.11, balance pins numpy<2 while svy and
# samplics need numpy 2; on 3.12 the resolver finds one set that satisfies all five (statsmodels
# is a peer of the model workloads only).
# If that ever stops resolving, set SPLIT=1 to get one venv per peer (bench/.venv-<peer>).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON="${PEER_PYTHON:-}"
if [[ -z "$PYTHON" ]]; then
    for candidate in /root/.pyenv/versions/3.12.1/bin/python python3.12 python3; do
        if command -v "$candidate" >/dev/null 2>&1; then PYTHON="$candidate"; break; fi
    done
fi
echo "peers: using $("$PYTHON" --version 2>&1) at $PYTHON"

# Versions the measured table in bench/README.md was taken with.
PEERS=(
    "svy==0.35.0"
    "samplics==0.6.1"
    "balance==0.23.0"
    "weightipy==0.4.2"
    "statsmodels==0.15.0"
)

make_venv () {  # make_venv DIR PACKAGE...
    local dir="$1"; shift
    if [[ ! -x "$dir/bin/python" ]]; then
        "$PYTHON" -m venv "$dir"
    fi
    "$dir/bin/python" -m pip install --quiet --upgrade pip
    # pyarrow: the Arrow-backed string frames of --strings arrow (pandas' default string storage with pyarrow)
    "$dir/bin/python" -m pip install --quiet "numpy" "pandas" "pyarrow" "$@"
}

if [[ "${SPLIT:-0}" == "1" ]]; then
    for spec in "${PEERS[@]}"; do
        name="${spec%%==*}"
        echo "peers: bench/.venv-$name"
        make_venv "$HERE/.venv-$name" "$spec"
    done
else
    echo "peers: bench/.venv-peers"
    make_venv "$HERE/.venv-peers" "${PEERS[@]}"
fi

# R survey (optional): Debian's r-base-core, r-cran-survey and r-cran-jsonlite (the R worker writes JSON), and
# r-cran-readxl for the ingestion benchmark's R column (readxl + survey on the large exports).
if [[ "${SKIP_R:-0}" != "1" ]]; then
    if command -v Rscript >/dev/null 2>&1 && Rscript -e 'library(survey); library(jsonlite); library(readxl)' >/dev/null 2>&1; then
        echo "peers: R survey already installed"
    elif command -v apt-get >/dev/null 2>&1 && [[ "$(id -u)" == "0" ]]; then
        echo "peers: installing R survey from Debian packages"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq r-base-core r-cran-survey r-cran-jsonlite r-cran-readxl >/dev/null
    else
        echo "peers: R survey not installed and apt-get unavailable; the benchmark skips R"
    fi
fi
echo "peers: done"
