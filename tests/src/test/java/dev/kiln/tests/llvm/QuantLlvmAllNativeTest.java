package dev.kiln.tests.llvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import dev.kiln.runtime.interp.Interpreter;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The statically quantized fixtures on the LLVM backend leave no q op on the interpreter (issue 8: adaptive average
 * pooling, requantize, qi8 add and the rest have native routines too): the compile report's fallbacks name no
 * {@code reference q.*}, and the outputs equal the interpreter's bit for bit on 1 and 2 threads.
 */
@Tag("llvm")
class QuantLlvmAllNativeTest {
  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"cnn_qstatic, -", "cnn_qstatic_fx, -", "cnn_qat, -", "cnn, static"})
  void noQuantizedOpIsLeftOnTheInterpreter(String model, String quantize) throws Exception {
    Path models = QuantLlvmKernelsTest.MODELS, calib = QuantLlvmKernelsTest.CALIB;
    Tensor x = quantize.equals("-") ? Npy.read(models.resolve(model).resolve("input.npy")) : Npy.read(calib.resolve(model).resolve("00.npy"));
    var m = TorchScriptImporter.importArchive(models.resolve(model).resolve("scripted.pt"), List.of(Type.tensor(x.dtype(), x.shape())));
    String pipeline = Pipelines.level(2);
    if (quantize.equals("static")) pipeline = pipeline.replace(",fuse,", ",quantize=static;calibrate=" + calib.resolve(model) + ",fuse,");
    Program p = PassManager.parse(pipeline).run(Program.of(m.graph(), m.weights()));
    Map<String, Tensor> used = AotModelsTest.usedWeights(p);
    String fork = System.getProperty("kiln.native.minForkWork");
    System.setProperty("kiln.native.minForkWork", "0");
    try (LlvmCompiled c = LlvmBackend.compile(p.graph(), used, new LlvmOptions("host", false))) {
      String report = c.report();
      System.out.println("[int8 ops] " + model + " " + quantize + ": " + c.nativeKinds() + " / " + c.fallbackKinds());
      assertTrue(c.nativeKinds().keySet().stream().anyMatch(k -> k.startsWith("int8 q.")), report);
      assertFalse(c.fallbackKinds().keySet().stream().anyMatch(k -> k.startsWith("reference q.")), report);
      List<Object> in = List.of(x);
      Tensor want = (Tensor) new Interpreter(p.graph(), p.weights()).run(in).getFirst();
      assertArrayEquals(bytes(want), bytes((Tensor) c.instantiate(used, 1).run(in).getFirst()), model + ": 1 thread");
      assertArrayEquals(bytes(want), bytes((Tensor) c.instantiate(used, 2).run(in).getFirst()), model + ": 2 threads");
    } finally {
      if (fork == null) System.clearProperty("kiln.native.minForkWork");
      else System.setProperty("kiln.native.minForkWork", fork);
    }
  }

  private static byte[] bytes(Tensor t) { return t.contiguous().segment().toArray(ValueLayout.JAVA_BYTE); }
}
