package dev.kiln.bench;

/**
 * One row of the int8 bench: a model at a batch on one Kiln backend, with the ORT and PyTorch figures of the same
 * model and batch. Timing fields are null when that side did not run (refused, or no int8 ONNX model).
 *
 * @param kilnFp32 Kiln -O2 float on the backend
 * @param kilnInt8 Kiln -O2 with quantize on the backend
 * @param ortFp32 ONNX Runtime on model.onnx
 * @param ortInt8 ONNX Runtime on model_int8.onnx, or null
 * @param torch PyTorch's own medians (bench/pytorch_quant_bench.py), or null
 * @param int8VsFp32 relative L2 error of Kiln int8's output against Kiln fp32's
 * @param int8VsTorchInt8 max abs difference of Kiln int8's output from PyTorch's int8 output (NaN when none)
 * @param ortInt8VsFp32 relative L2 error of ORT int8's output against PyTorch's float output (NaN when none)
 * @param refused why nothing was timed, or null
 */
record QuantRow(String model, String mode, int batch, String backend, LatencyStats kilnFp32, LatencyStats kilnInt8,
                LatencyStats ortFp32, LatencyStats ortInt8, TorchTimes.Row torch, double int8VsFp32, double int8VsTorchInt8,
                double ortInt8VsFp32, int rounds, String refused) {
  static QuantRow refused(String model, String mode, int batch, String backend, TorchTimes.Row torch, String why) {
    return new QuantRow(model, mode, batch, backend, null, null, null, null, torch, Double.NaN, Double.NaN, Double.NaN, 0, why);
  }

  boolean timed() { return refused == null; }
}
