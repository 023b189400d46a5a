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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The relu / relu6 / residual-add epilogue of a pointwise convolution applied in the GEMM's last store, and the
 * relu6 of a depthwise one in its store (codegen-llvm {@code FusedEpilogue}, {@code kiln_gemm_packedB_n_bias[_res]})
 * instead of a loop after it: on the fixture models the outputs are the bits of the unfused build
 * ({@code -Dkiln.llvm.convClamp=false}) and within 1e-4 (relative to the largest magnitude) of the interpreter, and
 * the run kernels' IR (before optimisation) has fewer scalar clamp loops: the fused convolutions' scalar
 * {@code llvm.minimum.f32} loops are gone, the GEMM's micro-kernel clamps vectors, and mobilenet_v2's residual adds
 * go to {@code kiln_gemm_packedB_n_bias_res}.
 */
@Tag("llvm")
class FusedEpilogueLlvmTest {
  @ParameterizedTest
  @CsvSource({"mobilenet_v2, true", "cnn, false", "resnet_small, false"})
  void fusedClampGivesTheSameBits(String model, boolean fuses) throws Exception {
    Path pt = LlvmModelsTest.MODELS.resolve(model).resolve("frozen.pt");
    Assumptions.assumeTrue(Files.isRegularFile(pt), "no fixture " + pt);
    Tensor input = Npy.read(LlvmModelsTest.MODELS.resolve(model).resolve("input.npy"));
    var m = TorchScriptImporter.importArchive(pt, List.of(Type.tensor(input.dtype(), input.shape())));
    List<Object> want = new Interpreter(m.graph(), m.weights()).run(List.of(input));
    Program opt = PassManager.parse(Pipelines.level(2)).run(Program.of(IrParser.parse(IrPrinter.print(m.graph()), model), m.weights()));
    Run off = run(opt, input, false), on = run(opt, input, true);
    int scalarOff = count(off.ir, "call float @llvm.minimum.f32"), scalarOn = count(on.ir, "call float @llvm.minimum.f32");
    System.out.println("[fusedEpilogue] " + model + ": scalar clamps " + scalarOff + " -> " + scalarOn);
    if (fuses) {
      assertTrue(scalarOn < scalarOff, model + ": no clamp loop was fused (" + scalarOff + " -> " + scalarOn + ")");
      assertTrue(on.ir.contains("fcmp oge <"), model + ": the GEMM does not clamp vectors");
      assertTrue(on.ir.contains("call void @kiln_gemm_packedB_n_bias_res("), model + ": no residual add fused");
      assertTrue(!off.ir.contains("@kiln_gemm_packedB_n_bias_res("), model + ": residual fused with the switch off");
    } else {
      assertTrue(scalarOn <= scalarOff, model + ": fusing added clamp loops");
    }
    assertEquals(off.out.size(), on.out.size());
    for (int i = 0; i < off.out.size(); i++) {
      float[] a = ((Tensor) off.out.get(i)).toFloatArray(), b = ((Tensor) on.out.get(i)).toFloatArray();
      assertArrayEquals(bits(a), bits(b), model + " output " + i + ": the fused clamp changed the result");
      float[] ref = ((Tensor) want.get(i)).toFloatArray();
      double mag = 0, err = 0;
      for (int j = 0; j < ref.length; j++) {
        mag = Math.max(mag, Math.abs(ref[j]));
        err = Math.max(err, Math.abs(ref[j] - b[j]));
      }
      assertTrue(err <= 1e-4 * Math.max(mag, 1e-6), model + " output " + i + " off the interpreter by " + err + " (magnitude " + mag + ")");
    }
  }

  private record Run(List<Object> out, String ir) {}

  private static Run run(Program opt, Tensor input, boolean fuse) {
    String old = System.getProperty("kiln.llvm.convClamp");
    System.setProperty("kiln.llvm.convClamp", Boolean.toString(fuse));
    try (LlvmCompiled c = LlvmBackend.compile(opt.graph(), opt.weights(), new LlvmOptions("host", true))) {
      return new Run(c.instantiate(opt.weights()).run(List.of(input)), c.llvmIr());
    } finally {
      if (old == null) System.clearProperty("kiln.llvm.convClamp");
      else System.setProperty("kiln.llvm.convClamp", old);
    }
  }

  private static int count(String text, String what) {
    Matcher mt = Pattern.compile(Pattern.quote(what)).matcher(text);
    int n = 0;
    while (mt.find()) n++;
    return n;
  }

  private static int[] bits(float[] x) {
    int[] b = new int[x.length];
    for (int i = 0; i < x.length; i++) b[i] = Float.floatToRawIntBits(x[i]);
    return b;
  }
}
