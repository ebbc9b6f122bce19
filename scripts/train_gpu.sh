#!/usr/bin/env bash
# Fine-tune several recipes side by side on one GPU (they share it: each is small), then stop:
# calibration, export and evaluation follow on any machine with
#   spotcheck train -c configs/release-phone.toml -o run_name=NAME ...overrides... --from-checkpoint
# Usage: scripts/train_gpu.sh HAM_DIR PAD_DIR OUT_DIR RECIPES...
# RECIPES: files of lines "NAME [-o key=value ...]" on top of configs/release-phone.toml
# (configs/gpu-candidates.txt, configs/gpu-students.txt, configs/gpu-folds.txt). Logs and
# checkpoints land in OUT_DIR. TRAIN_OVERRIDES adds overrides to every run: a smoke test of a round
# on a CPU before it spends GPU time, for example TRAIN_OVERRIDES="-o limit_images=70 -o epochs=1".
set -euo pipefail
ham=$1 pad=$2 out=$3
shift 3
mkdir -p "$out"
while read -r name overrides; do
    [[ -z "$name" || "$name" == \#* ]] && continue
    # shellcheck disable=SC2086  # the overrides are separate words on purpose
    OMP_NUM_THREADS=3 python3 -m spotcheck train -c configs/release-phone.toml --stop-after-training \
        -o data_dir="$ham" -o phone_data_dir="$pad" -o output_dir="$out" -o run_name="$name" \
        $overrides ${TRAIN_OVERRIDES:-} </dev/null >"$out/$name.log" 2>&1 &
done < <(cat "$@")
wait
