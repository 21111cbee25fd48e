#!/usr/bin/env bash
# Generates the lab's signal tokens into lab/secrets/ (git-ignored; never commit tokens):
# `tokens` for the receivers (TOKEN TIER SERVICE MEMBER per line, docs/signals.md) and one
# ANYPICK_TOKEN env file per sender, as docker-compose.yml expects. Usage: lab/make-secrets.sh [DIR]
set -euo pipefail
dir="${1:-$(dirname "$0")/secrets}"
mkdir -p "$dir"
chmod 700 "$dir"
tok() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
: > "$dir/tokens"
while read -r tier service member; do
  t=$(tok)
  echo "$t $tier $service $member" >> "$dir/tokens"
  echo "ANYPICK_TOKEN=$t" > "$dir/$member.env"
done <<'LIST'
datacenter my-service datacenter-1
cluster my-service cluster-1
service service-with-gpu gpu-1
service service-without-gpu cpu-1
LIST
chmod 600 "$dir"/*
echo "wrote $dir/tokens and $(ls "$dir"/*.env | wc -l) env files"
