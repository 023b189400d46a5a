package dev.kiln.bench;

import dev.kiln.frontend.torchscript.TorchScriptImporter;
import dev.kiln.ir.DType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Verifier;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.Pipelines;
import dev.kiln.passes.Program;
import dev.kiln.runtime.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;

/**
 * One model of the int8 bench, from {@code fixtures-large/quant/bench/<name>/} (tests/fixtures/gen_quant_bench.py):
 * the float folder named in {@code float.txt} (model.pt, model.onnx, input_b<N>.npy, output_b<N>.npy), PyTorch's
 * int8 outputs, the int8 ONNX model when one could be built, and the calibration inputs of a static model.
 *
 * @param dynamic quantize=dynamic (mlp, lstm) rather than quantize=static with calibration (cnn, resnet18)
 */
record QuantModel(String name, boolean dynamic, Path dir, Path floatDir) {
  static final List<String> DYNAMIC = List.of("mlp", "lstm", "mlp_large", "lstm_large");

  /** @throws IllegalArgumentException naming the missing file and how to make it */
  static QuantModel of(Path root, String name) {
    Path dir = root.resolve(name);
    Path f = dir.resolve("float.txt");
    if (!Files.isRegularFile(f))
      throw new IllegalArgumentException(f + " is missing: run /usr/bin/python3 tests/fixtures/gen_quant_bench.py " + name
          + " (after tests/fixtures/gen_onnx.py and gen_quant_resnet18.py)");
    try {
      return new QuantModel(name, DYNAMIC.contains(name), dir, dir.resolve(Files.readString(f).strip()).normalize());
    } catch (IOException e) {
      throw new UncheckedIOException(f + ": " + e.getMessage(), e);
    }
  }

  String mode() { return dynamic ? "dynamic" : "static"; }

  Path calibration() { return dir.resolve("calib"); }

  /** The quantize pipeline entry (Kiln's defaults: per-channel weights, minmax observer). */
  String quantizeEntry() {
    return dynamic ? "quantize=dynamic" : "quantize=static;calibrate=" + calibration() + ";observer=minmax";
  }

  /** The int8 ONNX model, or null when none was built ({@link #noOnnxReason}). */
  Path int8Onnx() {
    Path p = dir.resolve("model_int8.onnx");
    return Files.isRegularFile(p) ? p : null;
  }

  String noOnnxReason() {
    try {
      Path p = dir.resolve("int8_onnx.txt");
      return Files.isRegularFile(p) ? Files.readString(p).strip() : "no model_int8.onnx in " + dir;
    } catch (IOException e) {
      return "no model_int8.onnx in " + dir;
    }
  }

  /** PyTorch's int8 output at this batch (qnnpack), or null when the generator did not write it. */
  float[] torchInt8(int batch) {
    Path p = dir.resolve("torch_int8_b" + batch + ".npy");
    return Files.isRegularFile(p) ? dev.kiln.runtime.Npy.read(p).toFloatArray() : null;
  }

  /** A static model can only run at the calibration inputs' batch (their shape is the graph's). */
  boolean runsAt(int batch) { return dynamic || batch == 1; }

  /** The fp32 and int8 programs for one input shape, and what preparing them cost. */
  record Programs(Program fp32, Program int8, double importMs, double fp32Ms, double int8Ms) {}

  /**
   * Imports model.pt at {@code shape}, runs -O2 for fp32 and -O2 with the quantize entry before {@code fuse} for int8
   * (static: calibrating in the reference interpreter).
   */
  Programs prepare(long[] shape) {
    long t0 = System.nanoTime();
    var m = TorchScriptImporter.importArchive(floatDir.resolve("model.pt"), List.of(Type.tensor(DType.F32, shape)));
    Verifier.verify(m.graph());
    long t1 = System.nanoTime();
    Program fp32 = KilnLoader.optimize(m.graph(), new HashMap<>(m.weights()), 2);
    long t2 = System.nanoTime();
    Program int8 = run(m.graph(), m.weights(), int8Pipeline());
    long t3 = System.nanoTime();
    return new Programs(fp32, int8, (t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6);
  }

  /** -O2 with {@link #quantizeEntry} inserted before {@code fuse}. */
  String int8Pipeline() {
    List<String> out = new ArrayList<>();
    for (String e : Pipelines.level(2).split(",")) {
      if (e.strip().equals("fuse")) out.add(quantizeEntry());
      out.add(e.strip());
    }
    if (!out.contains(quantizeEntry())) throw new IllegalStateException("-O2 has no fuse entry to quantize before: " + Pipelines.level(2));
    return String.join(",", out);
  }

  private static Program run(dev.kiln.ir.Graph g, java.util.Map<String, Tensor> weights, String pipeline) {
    dev.kiln.ir.Graph copy = dev.kiln.ir.text.IrParser.parse(dev.kiln.ir.text.IrPrinter.print(g), g.name());
    return PassManager.parse(pipeline).run(Program.of(copy, new HashMap<>(weights)));
  }
}
