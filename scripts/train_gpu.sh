#!/usr/bin/env bash
# Fine-tune the candidate recipes of configs/release-phone.toml side by side on one GPU (they share
# it: each is small), then stop: calibration, export and evaluation follow on any machine with
#   spotcheck train -c configs/release-phone.toml -o run_name=NAME --from-checkpoint
# Usage: scripts/train_gpu.sh HAM_DIR PAD_DIR OUT_DIR   (logs and checkpoints land in OUT_DIR)
set -euo pipefail
ham=$1 pad=$2 out=$3
mkdir -p "$out"
declare -A recipes=(
    [phone]=""
    [phone-ema]="-o lr=5e-4 -o epochs=16 -o ema_decay=0.998"
    [phone-nostyle]="-o phone_style=0.0"
    [phone-share40]="-o phone_share=0.4"
    [phone-ema-share40]="-o lr=5e-4 -o epochs=16 -o ema_decay=0.998 -o phone_share=0.4"
)
for name in "${!recipes[@]}"; do
    # shellcheck disable=SC2086  # the overrides are separate words on purpose
    OMP_NUM_THREADS=3 python3 -m spotcheck train -c configs/release-phone.toml --stop-after-training \
        -o data_dir="$ham" -o phone_data_dir="$pad" -o output_dir="$out" -o run_name="$name" \
        ${recipes[$name]} >"$out/$name.log" 2>&1 &
done
wait
