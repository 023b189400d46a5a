package dev.kiln.tests.llvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.codegen.llvm.aot.AotModel;
import dev.kiln.codegen.llvm.aot.AotModelCompiler;
import dev.kiln.codegen.llvm.backend.LlvmBackend;
import dev.kiln.codegen.llvm.backend.LlvmCompiled;
import dev.kiln.codegen.llvm.backend.LlvmOptions;
import dev.kiln.frontend.torchscript.TorchScriptImporter;
import dev.kiln.ir.Type;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.Pipelines;
import dev.kiln.passes.Program;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.artifact.ArtifactWriter;
import dev.kiln.runtime.artifact.NativeFiles;
import dev.kiln.runtime.exec.KilnModel;
import dev.kiln.runtime.interp.Interpreter;
import dev.kiln.runtime.nativelib.NativePlan;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The quantized models on the LLVM backend's native int8 path (issue 8): PyTorch's own quantized fixtures
 * (quantize_dynamic MLP and LSTM, eager/FX static CNNs, QAT) and Kiln's own quantize=dynamic (float mlp, lstm) and
 * quantize=static (float cnn, calibrated on tests/fixtures/quant/calib/cnn) at -O2, for the host (vpdpbusd) and
 * x86-64-v3 (no VNNI). Every quantized linear/conv must be an int8 step (no reference call left for them); JIT on 1
 * and 2 threads (every segment and GEMM forked) and the AOT artifact loaded by {@link KilnModel} give the same bytes
 * as the same program with the q ops on the interpreter ({@code -Dkiln.llvm.int8=false}); against the interpreter
 * itself they are equal bit for bit too, except where f32 parts (the LSTM's gates) are computed by the LLVM kernels,
 * which agree with the interpreter to rounding.
 */
@Tag("llvm")
class QuantLlvmKernelsTest {
  static final Path MODELS = Path.of("fixtures/models"), CALIB = Path.of("fixtures/quant/calib");

  @TempDir Path dir;

  @ParameterizedTest(name = "{0} {1} on {2}")
  @CsvSource({"mlp_dynq, -, host, true", "lstm_dynq, -, host, false", "cnn_qstatic, -, host, true", "cnn_qstatic_fx, -, host, true",
      "cnn_qat, -, host, true", "mlp, dynamic, host, true", "lstm, dynamic, host, false", "cnn, static, host, true",
      "mlp_dynq, -, x86-64-v3, true", "cnn_qstatic, -, x86-64-v3, true", "lstm, dynamic, x86-64-v3, false", "cnn, static, x86-64-v3, true"})
  void nativeInt8EqualsTheInterpreter(String model, String quantize, String target, boolean floatPartExact) throws Exception {
    Tensor x = quantize.equals("-") ? Npy.read(MODELS.resolve(model).resolve("input.npy")) : Npy.read(CALIB.resolve(model).resolve("00.npy"));
    var m = TorchScriptImporter.importArchive(MODELS.resolve(model).resolve("scripted.pt"), List.of(Type.tensor(x.dtype(), x.shape())));
    String pipeline = Pipelines.level(2);
    if (quantize.equals("dynamic")) pipeline = pipeline.replace(",fuse,", ",quantize=dynamic,fuse,");
    if (quantize.equals("static")) pipeline = pipeline.replace(",fuse,", ",quantize=static;calibrate=" + CALIB.resolve(model) + ",fuse,");
    Program p = PassManager.parse(pipeline).run(Program.of(m.graph(), m.weights()));
    Map<String, Tensor> used = AotModelsTest.usedWeights(p);
    LlvmOptions opts = new LlvmOptions(target, false);
    Interpreter interp = new Interpreter(p.graph(), p.weights());
    List<List<Object>> inputs = inputs(x, model);
    List<List<Object>> viaInterpreter = new ArrayList<>();
    String old = System.getProperty("kiln.llvm.int8");
    System.setProperty("kiln.llvm.int8", "false");
    try (LlvmCompiled ref = LlvmBackend.compile(p.graph(), used, opts)) {
      assertTrue(ref.fallbackKinds().keySet().stream().anyMatch(k -> k.startsWith("reference q.")), ref.report());
      var inst = ref.instantiate(used, 1);
      for (List<Object> in : inputs) viaInterpreter.add(inst.run(in));
    } finally {
      if (old == null) System.clearProperty("kiln.llvm.int8");
      else System.setProperty("kiln.llvm.int8", old);
    }
    String fork = System.getProperty("kiln.native.minForkWork");
    System.setProperty("kiln.native.minForkWork", "0");
    try (LlvmCompiled c = LlvmBackend.compile(p.graph(), used, opts)) {
      String report = c.report();
      System.out.println("[int8] " + model + " " + quantize + " " + target + ": " + report);
      assertTrue(c.nativeKinds().keySet().stream().anyMatch(k -> k.startsWith("int8 q.")), report);
      assertFalse(c.fallbackKinds().keySet().stream().anyMatch(k -> k.matches("reference q\\.(linear|linear_relu|linear_dynamic|conv2d|conv2d_relu)")), report);
      var one = c.instantiate(used, 1);
      var two = c.instantiate(used, 2);
      AotModel aot = AotModelCompiler.compile(p.graph(), used, opts);
      assertTrue(aot.plan().run().stream().anyMatch(s -> s instanceof NativePlan.Step.Reference r && r.int8() != null), aot.report());
      Path file = dir.resolve(model + ".kiln");
      ArtifactWriter.writeNative(file, p.graph(), used, "-O2", new NativeFiles(aot.library(), aot.planJson(), aot.cpu(), aot.features()));
      KilnModel loaded = KilnModel.load(file);
      for (int t = 0; t < inputs.size(); t++) {
        List<Object> in = inputs.get(t);
        List<Object> want = interp.run(in), same = viaInterpreter.get(t), got = one.run(in), got2 = two.run(in);
        List<Tensor> fromArtifact = loaded.run(in.stream().map(o -> (Tensor) o).toArray(Tensor[]::new));
        assertEquals(want.size(), got.size());
        for (int i = 0; i < want.size(); i++) {
          String at = model + " " + quantize + " " + target + " output " + i + ", input " + t;
          Tensor a = (Tensor) want.get(i), b = (Tensor) got.get(i);
          assertArrayEquals(bytes((Tensor) same.get(i)), bytes(b), at + ": native int8 vs the q ops on the interpreter");
          assertArrayEquals(bytes(b), bytes((Tensor) got2.get(i)), at + ": 1 vs 2 threads");
          assertArrayEquals(bytes(b), bytes(fromArtifact.get(i)), at + ": JIT vs AOT");
          if (floatPartExact) assertArrayEquals(bytes(a), bytes(b), at + ": against the interpreter");
          else assertTrue(a.allClose(b, 1e-5, 1e-5), at + ": against the interpreter, max abs diff " + a.maxAbsDiff(b));
        }
      }
    } finally {
      if (fork == null) System.clearProperty("kiln.native.minForkWork");
      else System.setProperty("kiln.native.minForkWork", fork);
    }
  }

  /** The fixture input and two perturbed copies. */
  private static List<List<Object>> inputs(Tensor x, String model) {
    Random r = new Random(model.hashCode());
    float[] base = x.toFloatArray();
    List<List<Object>> out = new ArrayList<>();
    for (int trial = 0; trial < 3; trial++) {
      float[] v = base.clone();
      if (trial > 0) for (int i = 0; i < v.length; i++) v[i] += (float) (r.nextGaussian() * 0.3 * trial);
      out.add(List.of(Tensor.fromFloats(v, x.shape())));
    }
    return out;
  }

  private static byte[] bytes(Tensor t) { return t.contiguous().segment().toArray(ValueLayout.JAVA_BYTE); }
}
