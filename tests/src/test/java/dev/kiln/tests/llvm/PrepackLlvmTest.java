package dev.kiln.tests.llvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.codegen.llvm.backend.LlvmBackend;
import dev.kiln.codegen.llvm.backend.LlvmCompiled;
import dev.kiln.codegen.llvm.backend.LlvmOptions;
import dev.kiln.frontend.torchscript.TorchScriptImporter;
import dev.kiln.ir.Type;
import dev.kiln.ir.text.IrParser;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.Pipelines;
import dev.kiln.passes.Program;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.interp.Interpreter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * GEMM weights packed once at init (codegen-llvm {@code WeightPrepack}, {@code kiln_gemm_packedB_*}) give the same
 * bits as packing them on every call ({@code -Dkiln.llvm.prepack=false}), on fixture models with im2col, pointwise
 * and Winograd convolutions and linear layers; the LSTM fixture's GEMMs are all small (B read in place, nothing to
 * pack) and must stay so. The packed build matches the interpreter within 1e-4 (relative to the output's largest magnitude).
 */
@Tag("llvm")
class PrepackLlvmTest {
  @ParameterizedTest
  @CsvSource({"cnn,true", "resnet_small,true", "mobilenet_v2,true", "lstm,false"})
  void prepackedWeightsGiveTheSameBits(String model, boolean packs) throws Exception {
    Path pt = LlvmModelsTest.MODELS.resolve(model).resolve("frozen.pt");
    Assumptions.assumeTrue(Files.isRegularFile(pt), "no fixture " + pt);
    Tensor input = Npy.read(LlvmModelsTest.MODELS.resolve(model).resolve("input.npy"));
    var m = TorchScriptImporter.importArchive(pt, List.of(Type.tensor(input.dtype(), input.shape())));
    List<Object> want = new Interpreter(m.graph(), m.weights()).run(List.of(input));
    Program opt = PassManager.parse(Pipelines.level(2)).run(Program.of(IrParser.parse(IrPrinter.print(m.graph()), model), m.weights()));
    List<Object> plain = run(opt, input, false), packed;
    String report;
    try (LlvmCompiled c = compile(opt, true)) {
      report = c.report();
      assertEquals(packs, c.nativeKinds().keySet().stream().anyMatch(k -> k.startsWith("prepack")), model + " prepack kernels: " + report);
      packed = c.instantiate(opt.weights()).run(List.of(input));
    }
    System.out.println("[prepack] " + model + ": " + report);
    assertEquals(plain.size(), packed.size());
    for (int i = 0; i < plain.size(); i++) {
      float[] a = ((Tensor) plain.get(i)).toFloatArray(), b = ((Tensor) packed.get(i)).toFloatArray();
      assertArrayEquals(bits(a), bits(b), model + " output " + i + ": prepacked weights changed the result");
      float[] ref = ((Tensor) want.get(i)).toFloatArray();
      double mag = 0, err = 0;
      for (int j = 0; j < ref.length; j++) {
        mag = Math.max(mag, Math.abs(ref[j]));
        err = Math.max(err, Math.abs(ref[j] - b[j]));
      }
      assertTrue(err <= 1e-4 * Math.max(mag, 1e-6), model + " output " + i + " off the interpreter by " + err + " (magnitude " + mag + ")");
    }
  }

  private static LlvmCompiled compile(Program opt, boolean prepack) {
    String old = System.getProperty("kiln.llvm.prepack");
    System.setProperty("kiln.llvm.prepack", Boolean.toString(prepack));
    // the small-plane direct conv (conv.SmallPlaneConvEmitter) needs packed weights: a different summation order
    System.setProperty("kiln.llvm.planeConv", "false");
    try {
      return LlvmBackend.compile(opt.graph(), opt.weights(), LlvmOptions.defaults());
    } finally {
      System.clearProperty("kiln.llvm.planeConv");
      if (old == null) System.clearProperty("kiln.llvm.prepack");
      else System.setProperty("kiln.llvm.prepack", old);
    }
  }

  private static List<Object> run(Program opt, Tensor input, boolean prepack) {
    try (LlvmCompiled c = compile(opt, prepack)) {
      assertTrue(c.nativeKinds().keySet().stream().noneMatch(k -> k.startsWith("prepack")), "prepack off still prepacked");
      return c.instantiate(opt.weights()).run(List.of(input));
    }
  }

  private static int[] bits(float[] x) {
    int[] b = new int[x.length];
    for (int i = 0; i < x.length; i++) b[i] = Float.floatToRawIntBits(x[i]);
    return b;
  }
}
