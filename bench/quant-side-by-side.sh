#!/usr/bin/env bash
# quant-side-by-side.sh: int8 against fp32 per model and Kiln backend (dev.kiln.bench.QuantSideBySide), with ONNX
# Runtime (float and int8 ONNX models) in the same process and PyTorch's own quantized models (qnnpack, 1 thread,
# bench/pytorch_quant_bench.py) run just before; one table in bench/results/<date>-quant.md.
#   KILN_BUILD_DIR=target-x    Maven build folder name (default: target), as -Dkiln.build.dir
#   KILN_BENCH_NO_BUILD=1      run the jar as it is, do not call Maven
#   KILN_PYTHON=/usr/bin/python3   the Python with PyTorch 1.13 (fixtures and the PyTorch timings)
# Options go to QuantSideBySide (--models mlp,lstm,cnn,resnet18 by default; mlp_large,lstm_large on request; --backends interp,jvm,llvm --batches 1 --seconds 3
# --no-report); --models, --batches and --seconds also go to the PyTorch script.
# Missing fixtures are made first: tests/fixtures/gen_onnx.py, gen_quant_resnet18.py, gen_quant_bench.py.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${KILN_BUILD_DIR:-target}"
jar="$root/bench/$build_dir/kiln-bench.jar"
python="${KILN_PYTHON:-/usr/bin/python3}"

models=mlp,lstm,cnn,resnet18 batches=1 seconds=3
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --models) models="${args[i+1]:-}" ;;
    --batches) batches="${args[i+1]:-}" ;;
    --seconds) seconds="${args[i+1]:-}" ;;
  esac
done

cd "$root"
need_onnx=()
for m in ${models//,/ }; do
  [[ "$m" == cnn ]] && continue
  [[ -f "fixtures-large/onnx/$m/model.onnx" ]] || need_onnx+=("$m")
done
if ((${#need_onnx[@]})); then "$python" tests/fixtures/gen_onnx.py "${need_onnx[@]}"; fi
if [[ ",$models," == *,resnet18,* && ! -f fixtures-large/quant/resnet18/eval_top1.npy ]]; then
  "$python" tests/fixtures/gen_quant_resnet18.py
fi
need_q=()
for m in ${models//,/ }; do [[ -f "fixtures-large/quant/bench/$m/float.txt" ]] || need_q+=("$m"); done
if ((${#need_q[@]})); then "$python" tests/fixtures/gen_quant_bench.py "${need_q[@]}"; fi

if [[ -z "${KILN_BENCH_NO_BUILD:-}" ]]; then
  if [[ ! -f "$jar" || -n "$(find pom.xml */src/main */pom.xml -newer "$jar" -print -quit 2>/dev/null)" ]]; then
    echo "quant-side-by-side: building the bench module..." >&2
    log="$(mktemp "${TMPDIR:-/tmp}/kiln-bench-build.XXXXXX")"
    if ! mvn -q -B -o -Dmaven.test.skip=true -Dkiln.build.dir="$build_dir" -pl bench -am package >"$log" 2>&1; then
      cat "$log" >&2; rm -f "$log"; echo "quant-side-by-side: building the bench failed (output above)" >&2; exit 1
    fi
    rm -f "$log"; touch "$jar"
  fi
fi

torch_times="$(mktemp "${TMPDIR:-/tmp}/kiln-torch-quant.XXXXXX")"
trap 'rm -f "$torch_times"' EXIT
echo "quant-side-by-side: PyTorch float and int8 (qnnpack, 1 thread)..." >&2
"$python" bench/pytorch_quant_bench.py --models "$models" --batches "$batches" --seconds "$seconds" --out "$torch_times" \
  2> >(grep -v -i warn >&2)

java_bin="$(KILN_PRINT_JAVA=1 "$root/kiln")"
export KILN_BENCH_COMMAND="bench/quant-side-by-side.sh${*:+ $*}"
"$java_bin" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xss8m \
  -cp "$jar" dev.kiln.bench.QuantSideBySide --torch "$torch_times" "$@"
