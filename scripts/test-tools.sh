# The tools the tests need, installed where they cannot collide with the
# system. Sourced by scripts/test (and by tests/it/scripts.rs, which runs these
# functions against a Python that refuses pip as Debian's does, PEP 668).
#
#   tools_moto      moto server (tests/it/aws.rs, aws_faults.rs): pip-installed
#                   into a virtual environment under $SGPAIR_TOOLS, never into
#                   the system Python; $SGPAIR_TOOLS/bin (only moto_server in
#                   it) goes first on PATH
#   tools_sql       sqlglot and duckdb (tests/it/pushdown.rs: the Athena SQL
#                   parsed, transpiled and run offline), pip-installed into
#                   their own virtual environment, $SGPAIR_TOOLS/sql-venv
#   tools_chromium  Debian's chromium (tests/it/html.rs), with apt-get, only as
#                   root or with password-less sudo, and it says so first
#   tools_tf_provider  terraform's AWS provider as a filesystem mirror
#                   (tests/it/terraform_folder.rs runs `terraform init
#                   -plugin-dir` offline): $SGPAIR_TF_PLUGIN_DIR, else
#                   /opt/tf-plugins, else one made once under
#                   $SGPAIR_TOOLS/tf-plugins with `terraform providers mirror`
#                   (the network, once); exports SGPAIR_TF_PLUGIN_DIR
#
# Each prints what it uses and where. A tool that cannot be installed is
# reported and the function returns 0: the tests that need it then fail and
# say why; the other tests still run. Safe under `set -euo pipefail`.

# Where the tools live: outside the clone, reused between runs.
SGPAIR_TOOLS="${SGPAIR_TOOLS:-${XDG_CACHE_HOME:-${HOME:?HOME is not set: set SGPAIR_TOOLS to a folder for the test tools}/.cache}/sgpair-tools}"

# The pip requirement for the AWS emulator.
SGPAIR_MOTO_REQUIREMENT='moto[server]'

tools_moto() {
  local venv="$SGPAIR_TOOLS/venv" bin="$SGPAIR_TOOLS/bin" log
  echo "== moto server (AWS API emulator for tests/it/aws.rs and tests/it/aws_faults.rs; the tests start it)"
  if [ ! -x "$venv/bin/moto_server" ]; then
    if [ ! -x "$venv/bin/python" ]; then
      echo "moto: creating a virtual environment at $venv (python3 -m venv; the system Python is left alone)"
      mkdir -p "$SGPAIR_TOOLS"
      if ! python3 -m venv "$venv"; then
        rm -rf "$venv"
        echo "moto: NOT INSTALLED: python3 -m venv failed (Debian/Ubuntu: apt-get install python3-venv);"
        echo "      tests/it/aws.rs and tests/it/aws_faults.rs will fail and say so"
        return 0
      fi
    fi
    echo "moto: installing \"$SGPAIR_MOTO_REQUIREMENT\" from PyPI into $venv"
    log="$(mktemp)"
    if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$SGPAIR_MOTO_REQUIREMENT" >"$log" 2>&1 ||
       [ ! -x "$venv/bin/moto_server" ]; then
      tail -n 20 "$log"
      rm -f "$log"
      echo "moto: NOT INSTALLED: pip install into $venv failed (output above);"
      echo "      tests/it/aws.rs and tests/it/aws_faults.rs will fail and say so"
      return 0
    fi
    rm -f "$log"
  fi
  # Only moto_server goes on PATH: the environment's python and pip do not
  # shadow the system's for anything else the tests run.
  mkdir -p "$bin"
  ln -sf "$venv/bin/moto_server" "$bin/moto_server"
  export PATH="$bin:$PATH"
  local version
  version="$("$venv/bin/python" -m pip show moto 2>/dev/null | sed -n 's/^Version: //p' || true)"
  echo "moto: $(command -v moto_server) -> $venv/bin/moto_server (moto ${version:-version unknown})"
}

# The pip requirements of scripts/pushdown-duckdb.py.
SGPAIR_SQL_REQUIREMENTS='sqlglot duckdb'

tools_sql() {
  local venv="$SGPAIR_TOOLS/sql-venv" log
  echo "== sqlglot and duckdb (tests/it/pushdown.rs runs the Athena SQL offline with them)"
  if ! "$venv/bin/python" -c 'import sqlglot, duckdb' >/dev/null 2>&1; then
    if [ ! -x "$venv/bin/python" ]; then
      echo "sql: creating a virtual environment at $venv (python3 -m venv; the system Python is left alone)"
      mkdir -p "$SGPAIR_TOOLS"
      if ! python3 -m venv "$venv"; then
        rm -rf "$venv"
        echo "sql: NOT INSTALLED: python3 -m venv failed (Debian/Ubuntu: apt-get install python3-venv);"
        echo "     tests/it/pushdown.rs will fail and say so"
        return 0
      fi
    fi
    echo "sql: installing $SGPAIR_SQL_REQUIREMENTS from PyPI into $venv"
    log="$(mktemp)"
    # shellcheck disable=SC2086
    if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check $SGPAIR_SQL_REQUIREMENTS >"$log" 2>&1; then
      tail -n 20 "$log"
      rm -f "$log"
      echo "sql: NOT INSTALLED: pip install into $venv failed (output above);"
      echo "     tests/it/pushdown.rs will fail and say so"
      return 0
    fi
    rm -f "$log"
  fi
  echo "sql: $venv/bin/python ($("$venv/bin/python" -c 'import sqlglot, duckdb; print("sqlglot", sqlglot.__version__, "duckdb", duckdb.__version__)' 2>/dev/null || echo "versions unknown"))"
}

tools_chromium() {
  echo "== chromium (headless browser for tests/it/html.rs; those tests fail without it)"
  if command -v chromium >/dev/null 2>&1; then
    # The Debian launcher prints a harmless shell warning on some machines; keep the version line only.
    echo "chromium: $(command -v chromium) ($(chromium --version 2>/dev/null || echo "version unknown"))"
    return 0
  fi
  local sudo="" log
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo="sudo -n"
    else
      echo "chromium: NOT INSTALLED: not found on PATH, and installing it needs root or password-less sudo"
      echo "          (as root: apt-get install chromium); tests/it/html.rs will fail and say so"
      return 0
    fi
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "chromium: NOT INSTALLED: not found on PATH and there is no apt-get here; install Chromium"
    echo "          and put \`chromium\` on PATH; tests/it/html.rs will fail and say so"
    return 0
  fi
  echo "chromium: not found; installing Debian's chromium package system-wide:"
  echo "          ${sudo:+$sudo }apt-get update, then ${sudo:+$sudo }apt-get install --no-install-recommends chromium"
  log="$(mktemp)"
  if ! { timeout 120 $sudo apt-get update -qq &&
         timeout 300 $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; } >"$log" 2>&1 ||
     ! command -v chromium >/dev/null 2>&1; then
    tail -n 40 "$log"
    rm -f "$log"
    echo "chromium: NOT INSTALLED: apt-get failed (output above); tests/it/html.rs will fail and say so"
    return 0
  fi
  rm -f "$log"
  echo "chromium: $(command -v chromium) ($(chromium --version 2>/dev/null || echo "version unknown"))"
}

tools_tf_provider() {
  local want="registry.terraform.io/hashicorp/aws" dir work log
  echo "== terraform's AWS provider (a filesystem mirror for tests/it/terraform_folder.rs; those tests fail without it)"
  for dir in "${SGPAIR_TF_PLUGIN_DIR:-}" /opt/tf-plugins "$SGPAIR_TOOLS/tf-plugins"; do
    if [ -n "$dir" ] && [ -d "$dir/$want" ]; then
      export SGPAIR_TF_PLUGIN_DIR="$dir"
      echo "aws provider: $dir"
      return 0
    fi
  done
  if ! command -v terraform >/dev/null 2>&1; then
    echo "aws provider: NOT INSTALLED: terraform is not on PATH (install terraform >= 1.5); the terraform tests will fail and say so"
    return 0
  fi
  dir="$SGPAIR_TOOLS/tf-plugins"
  echo "aws provider: not found; mirroring hashicorp/aws (>= 5.0) into $dir with terraform providers mirror (a download, once)"
  work="$(mktemp -d)"
  log="$(mktemp)"
  printf 'terraform {\n  required_providers {\n    aws = {\n      source  = "hashicorp/aws"\n      version = ">= 5.0"\n    }\n  }\n}\n' >"$work/main.tf"
  mkdir -p "$dir"
  if (cd "$work" && timeout 900 terraform providers mirror "$dir") >"$log" 2>&1 && [ -d "$dir/$want" ]; then
    export SGPAIR_TF_PLUGIN_DIR="$dir"
    echo "aws provider: $dir"
  else
    cat "$log"
    echo "aws provider: NOT INSTALLED: terraform providers mirror failed (output above; it needs the network once); the terraform folder tests will fail and say so"
  fi
  rm -rf "$work" "$log"
  return 0
}
